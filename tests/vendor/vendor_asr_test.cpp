// MediaflowVendorAsr, the base class of the streaming ASR vendor elements (libmediaflow_sdk):
// what it owns for every vendor, seen through the two elements built on it. What every ASR
// element must do is the conformance suite's (tests/conformance); this is the base's own.
#include "support/asr_run.hpp"
#include "support/fake_deepgram.hpp"
#include "support/paths.hpp"

#include <mediaflow/gstutil/secret_property.hpp>
#include <mediaflow/plugin_registry.hpp>
#include <mediaflow/vendor/vendor_asr.hpp>

#include <gtest/gtest.h>

#include <string>

namespace {

using mediaflow::test::AsrInput;
using mediaflow::test::AsrRun;
using mediaflow::test::FakeDeepgram;

class VendorBase : public ::testing::Test {
 protected:
  void SetUp() override {
    gst_init(nullptr, nullptr);
    mediaflow::load_plugins(mediaflow::test::plugin_dir());
  }
};

guint uint_property(GstElement* e, const char* name) {
  guint v = 0;
  g_object_get(e, name, &v, nullptr);
  return v;
}

TEST_F(VendorBase, BothVendorsShareTheBasesPropertiesWithTheirOwnDefaults) {
  GstElement* deepgram = gst_element_factory_make("deepgramasr", nullptr);
  GstElement* assemblyai = gst_element_factory_make("assemblyaiasr", nullptr);
  ASSERT_TRUE(deepgram && assemblyai);
  for (GstElement* e : {deepgram, assemblyai}) {
    EXPECT_TRUE(G_TYPE_CHECK_INSTANCE_TYPE(e, MEDIAFLOW_TYPE_VENDOR_ASR)) << GST_ELEMENT_NAME(e);
    for (const char* name : {"api-key", "url", "chunk-ms", "on-failure", "keepalive-interval", "reconnect-buffer",
                             "max-reconnects", "finalize-timeout", "stall-timeout"}) {
      GParamSpec* p = g_object_class_find_property(G_OBJECT_GET_CLASS(e), name);
      ASSERT_NE(p, nullptr) << name;
      EXPECT_EQ(p->owner_type, MEDIAFLOW_TYPE_VENDOR_ASR) << name << " is the base's";
    }
    EXPECT_TRUE(mediaflow::gstutil::is_secret_property(g_object_class_find_property(G_OBJECT_GET_CLASS(e), "api-key")));
    MediaflowOnFailure policy = MEDIAFLOW_ON_FAILURE_CLOSE_CALL;
    g_object_get(e, "on-failure", &policy, nullptr);
    EXPECT_EQ(policy, MEDIAFLOW_ON_FAILURE_CONTINUE) << "an ASR that fails lets the call go on";
    EXPECT_EQ(uint_property(e, "stall-timeout"), 0u);
    gboolean sync = TRUE;
    g_object_get(e, "sync", &sync, nullptr);
    EXPECT_FALSE(sync) << "live audio from a call loop never waits for the clock";
  }
  EXPECT_EQ(uint_property(deepgram, "chunk-ms"), 100u);
  EXPECT_EQ(uint_property(assemblyai, "chunk-ms"), 100u);
  gst_util_set_object_arg(G_OBJECT(deepgram), "on-failure", "close-call");
  MediaflowOnFailure policy = MEDIAFLOW_ON_FAILURE_CONTINUE;
  g_object_get(deepgram, "on-failure", &policy, nullptr);
  EXPECT_EQ(policy, MEDIAFLOW_ON_FAILURE_CLOSE_CALL);
  gst_object_unref(deepgram);
  gst_object_unref(assemblyai);
}

// Without a key (property or environment) the element does not connect: the call goes on
// without transcription (continue) or is ended (close-call).
TEST_F(VendorBase, NoKeyIsAWarningOrAnErrorAsOnFailureSays) {
  g_unsetenv("DEEPGRAM_API_KEY");
  FakeDeepgram fake("test-key");
  ASSERT_NE(fake.start(), 0);
  AsrInput in;
  in.audio = mediaflow::test::test_speech_s16(0.5);
  for (const char* policy : {"continue", "close-call"}) {
    GstElement* e = gst_element_factory_make("deepgramasr", nullptr);
    g_object_set(e, "url", fake.url().c_str(), nullptr);
    gst_util_set_object_arg(G_OBJECT(e), "on-failure", policy);
    AsrRun run = mediaflow::test::run_asr(e, in);
    const auto& reports = std::string(policy) == "continue" ? run.warnings : run.errors;
    ASSERT_EQ(reports.size(), 1u) << policy;
    EXPECT_NE(reports[0].find("No Deepgram API key"), std::string::npos) << reports[0];
    EXPECT_EQ(run.warnings.size() + run.errors.size(), 1u) << policy;
  }
  EXPECT_EQ(fake.handshakes(), 0);
}

// The stall watchdog: audio went out and the vendor said nothing for stall-timeout: a new
// connection (which resends the unconfirmed audio), and after max-reconnects the warning.
TEST_F(VendorBase, StallWatchdogReconnectsWhenTheVendorGoesQuietAfterAudio) {
  FakeDeepgram fake("test-key");
  ASSERT_NE(fake.start(), 0);
  fake.stall(true);
  GstElement* e = gst_element_factory_make("deepgramasr", nullptr);
  g_object_set(e, "url", fake.url().c_str(), "api-key", "test-key", "stall-timeout", 300u, "max-reconnects", 1u,
               nullptr);
  AsrInput in;
  in.audio = mediaflow::test::test_speech_s16(1.0);
  in.pause_before_eos_ms = 1500;  // the watchdog acts while the call still runs
  AsrRun run = mediaflow::test::run_asr(e, in);
  ASSERT_TRUE(run.eos);
  EXPECT_EQ(run.named("mediaflow-vendor-reconnect").size(), 1u);
  ASSERT_EQ(run.warnings.size(), 1u);
  EXPECT_NE(run.warnings[0].find("unreachable after 1 reconnect attempts"), std::string::npos) << run.warnings[0];
  const auto conns = fake.connections();
  ASSERT_EQ(conns.size(), 2u);
  EXPECT_TRUE(conns[0].audio == in.audio);
  EXPECT_TRUE(conns[1].audio == in.audio) << "nothing was confirmed: all of it again";
}

// The same stall without the watchdog (its default for Deepgram): one connection, no warning;
// the vendor's silence only bounds the EOS wait.
TEST_F(VendorBase, WithoutTheWatchdogAQuietVendorKeepsItsConnection) {
  FakeDeepgram fake("test-key");
  ASSERT_NE(fake.start(), 0);
  fake.stall(true);
  GstElement* e = gst_element_factory_make("deepgramasr", nullptr);
  g_object_set(e, "url", fake.url().c_str(), "api-key", "test-key", "finalize-timeout", 200u, nullptr);
  AsrInput in;
  in.audio = mediaflow::test::test_speech_s16(1.0);
  in.pause_before_eos_ms = 800;
  AsrRun run = mediaflow::test::run_asr(e, in);
  ASSERT_TRUE(run.eos);
  EXPECT_TRUE(run.warnings.empty());
  EXPECT_TRUE(run.named("mediaflow-vendor-reconnect").empty());
  EXPECT_EQ(fake.connections().size(), 1u);
}

}  // namespace
