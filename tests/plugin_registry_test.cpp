#include <mediaflow/plugin_registry.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

namespace {

namespace fs = std::filesystem;

class PluginRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override { gst_init(nullptr, nullptr); }
};

const mediaflow::PluginLoadError* error_for(const mediaflow::PluginLoadReport& r,
                                            const std::string& needle) {
  for (const auto& e : r.errors)
    if (e.file.filename().string().find(needle) != std::string::npos) return &e;
  return nullptr;
}

TEST_F(PluginRegistryTest, LoadsGoodPluginAndReportsEachBadOneOnOneLine) {
  auto report = mediaflow::load_plugins(MEDIAFLOW_TEST_FIXTURE_DIR);
  ASSERT_EQ(report.loaded.size(), 1u);
  EXPECT_EQ(report.loaded[0].name, "fixturegood");
  ASSERT_EQ(report.loaded[0].elements.size(), 1u);
  EXPECT_EQ(report.loaded[0].elements[0].role, "filter");
  EXPECT_TRUE(report.loaded[0].elements[0].registered_here);

  GstElement* e = gst_element_factory_make("fixturegood", nullptr);
  ASSERT_NE(e, nullptr);
  gst_object_unref(e);

  const auto* wrong = error_for(report, "wrong_api");
  ASSERT_NE(wrong, nullptr);
  // The fixture declares the host's version + 41.
  const std::string expected = "plugin API version " + std::to_string(mediaflow::kPluginApiVersion + 41) +
                               ", this host speaks " + std::to_string(mediaflow::kPluginApiVersion);
  EXPECT_NE(wrong->message().find(expected), std::string::npos) << wrong->message();
  EXPECT_NE(wrong->message().find("libmediaflow_fixture_wrong_api.so"), std::string::npos);
  EXPECT_EQ(gst_element_factory_find("fixturewrongapi"), nullptr);

  // One built against API 2 (transports without webhooks) is refused the same way.
  const auto* old = error_for(report, "old_api");
  ASSERT_NE(old, nullptr);
  EXPECT_NE(old->message().find("plugin API version 2, this host speaks " + std::to_string(mediaflow::kPluginApiVersion)),
            std::string::npos)
      << old->message();
  EXPECT_EQ(old->message().find('\n'), std::string::npos);
  EXPECT_EQ(gst_element_factory_find("fixtureoldapi"), nullptr);

  const auto* nodesc = error_for(report, "no_descriptor");
  ASSERT_NE(nodesc, nullptr);
  EXPECT_NE(nodesc->reason.find("no 'mediaflow_plugin_descriptor' descriptor"), std::string::npos);

  const auto* broken = error_for(report, "broken");
  ASSERT_NE(broken, nullptr);
  EXPECT_NE(broken->reason.find("cannot load library"), std::string::npos);
  EXPECT_EQ(broken->message().find('\n'), std::string::npos);
  EXPECT_EQ(report.errors.size(), 4u);
}

TEST_F(PluginRegistryTest, LoadingTwiceRegistersNothingTwice) {
  auto first = mediaflow::load_plugins(MEDIAFLOW_TEST_FIXTURE_DIR);
  ASSERT_EQ(first.loaded.size(), 1u);
  auto second = mediaflow::load_plugins(MEDIAFLOW_TEST_FIXTURE_DIR);
  EXPECT_TRUE(second.loaded.empty());
  EXPECT_EQ(mediaflow::loaded_plugins().size(), 1u);
  GstElement* e = gst_element_factory_make("fixturegood", nullptr);
  ASSERT_NE(e, nullptr);
  gst_object_unref(e);
}

TEST_F(PluginRegistryTest, MissingDirectoryIsReportedNotFatal) {
  auto report = mediaflow::load_plugins("/nonexistent/mediaflow/plugins");
  ASSERT_EQ(report.errors.size(), 1u);
  EXPECT_NE(report.errors[0].message().find("does not exist"), std::string::npos);
}

}  // namespace

namespace {

// GStreamer itself already knows our plugins (GST_PLUGIN_PATH points at PLUGIN_DIR): the host
// must use those factories and register nothing a second time.
TEST(PluginRegistryWithGstPluginPath, SameFolderOnGstPluginPathIsNotRegisteredTwice) {
  setenv("GST_PLUGIN_PATH", MEDIAFLOW_PLUGIN_BUILD_DIR, 1);
  // A fresh registry of its own: the suite's shared cache never holds GST_PLUGIN_PATH's view,
  // and no earlier run's cache (or blacklist entry) decides what GStreamer finds.
  const std::string registry = std::string(MEDIAFLOW_BUILD_DIR) + "/tests/gst-registry-plugin-path.bin";
  std::filesystem::remove(registry);
  setenv("GST_REGISTRY", registry.c_str(), 1);
  setenv("GST_REGISTRY_FORK", "no", 1);  // scan in this process (sanitizer builds need that)
  gst_init(nullptr, nullptr);
  ASSERT_NE(gst_registry_lookup_feature(gst_registry_get(), "twiliosrc"), nullptr)
      << "GStreamer found the plugin through GST_PLUGIN_PATH";
  auto report = mediaflow::load_plugins(MEDIAFLOW_PLUGIN_BUILD_DIR);
  EXPECT_TRUE(report.errors.empty()) << report.errors[0].message();
  bool saw_twilio = false;
  for (const auto& p : report.loaded) {
    for (const auto& e : p.elements) {
      EXPECT_FALSE(e.registered_here) << e.name << " registered although GStreamer had it";
      saw_twilio |= e.name == "twiliosrc";
    }
  }
  EXPECT_TRUE(saw_twilio);
  // The factories work (a double registration leaves a broken class: CRITICALs, null elements).
  for (const char* name : {"twiliosrc", "twiliosink", "callrecorder"}) {
    GstElement* e = gst_element_factory_make(name, nullptr);
    ASSERT_NE(e, nullptr) << name;
    gst_object_unref(e);
  }
}

}  // namespace
