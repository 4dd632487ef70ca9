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
  EXPECT_NE(wrong->message().find("plugin API version 42, this host speaks 1"), std::string::npos)
      << wrong->message();
  EXPECT_NE(wrong->message().find("libmediaflow_fixture_wrong_api.so"), std::string::npos);
  EXPECT_EQ(gst_element_factory_find("fixturewrongapi"), nullptr);

  const auto* nodesc = error_for(report, "no_descriptor");
  ASSERT_NE(nodesc, nullptr);
  EXPECT_NE(nodesc->reason.find("no 'mediaflow_plugin_descriptor' descriptor"), std::string::npos);

  const auto* broken = error_for(report, "broken");
  ASSERT_NE(broken, nullptr);
  EXPECT_NE(broken->reason.find("cannot load library"), std::string::npos);
  EXPECT_EQ(broken->message().find('\n'), std::string::npos);
  EXPECT_EQ(report.errors.size(), 3u);
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
