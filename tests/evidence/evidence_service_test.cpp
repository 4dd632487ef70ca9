// The evidence service in process, against the Standard Webhooks receiver: what the media
// loop hands off becomes signed events in call order; final transcript segments (PHI) only
// with EVENTS_INCLUDE_TRANSCRIPTS, interim ones and other call events never.
#include <mediaflow/evidence/evidence_service.hpp>

#include "support/evidence_servers.hpp"
#include "support/test_files.hpp"

#include <gst/gst.h>
#include <gtest/gtest.h>

namespace mediaflow::evidence {
namespace {

std::vector<std::string> types_of(const std::vector<test::Delivery>& all, const std::string& call_sid) {
  std::vector<std::string> out;
  for (const auto& d : all)
    if (d.call_sid == call_sid) {
      EXPECT_TRUE(d.signature_ok) << d.body;
      out.push_back(d.type);
    }
  return out;
}

TEST(EvidenceService, FinalTranscriptsAreSentOnlyWhenAskedForAndInCallOrder) {
  gst_init(nullptr, nullptr);
  test::TempDir work;
  test::WebhookReceiver receiver(work.path / "receiver");
  ASSERT_TRUE(receiver.start());
  for (bool include : {false, true}) {
    EvidenceConfig cfg;
    cfg.webhook_url = receiver.url();
    cfg.webhook_secret = test::WebhookReceiver::kSecret;
    cfg.include_transcripts = include;
    cfg.spool_dir = work.path / (include ? "spool-with" : "spool-without");
    EvidenceService service(cfg, work.path);
    std::string error;
    ASSERT_TRUE(service.start(&error)) << error;
    const std::string sid = include ? "CA00000000000000000000000000000002" : "CA00000000000000000000000000000001";
    const auto call = service.call_started({sid, "MZ1", "AC1", "acme", "default", ""});
    ASSERT_NE(call, 0u);
    GstStructure* interim = gst_structure_new("mediaflow-transcript", "is-final", G_TYPE_BOOLEAN, FALSE, "text",
                                              G_TYPE_STRING, "interim words", nullptr);
    GstStructure* final_segment = gst_structure_new("mediaflow-transcript", "is-final", G_TYPE_BOOLEAN, TRUE, "text",
                                                    G_TYPE_STRING, "final words", nullptr);
    GstStructure* dtmf = gst_structure_new("twilio-dtmf", "digit", G_TYPE_STRING, "7", nullptr);
    service.call_event(call, interim);
    service.call_event(call, final_segment);
    service.call_event(call, dtmf);
    service.call_ended(call, "completed", 1000);
    gst_structure_free(interim);
    gst_structure_free(final_segment);
    gst_structure_free(dtmf);
    ASSERT_TRUE(service.wait_idle(15));
    EXPECT_EQ(service.stats().events, 0u);
  }
  const auto all = receiver.deliveries();
  EXPECT_EQ(types_of(all, "CA00000000000000000000000000000001"), (std::vector<std::string>{"call.started", "call.ended"}));
  EXPECT_EQ(types_of(all, "CA00000000000000000000000000000002"),
            (std::vector<std::string>{"call.started", "transcript.final", "call.ended"}));
  for (const auto& d : all) EXPECT_EQ(d.body.find("interim words"), std::string::npos) << d.body;
  bool final_sent = false;
  for (const auto& d : all) final_sent |= d.type == "transcript.final" && d.body.find("final words") != std::string::npos;
  EXPECT_TRUE(final_sent);
}

TEST(EvidenceService, NothingConfiguredMeansNothingTrackedAndNoSpool) {
  test::TempDir work;
  EvidenceConfig cfg;
  cfg.spool_dir = work.path / "spool";
  EvidenceService service(cfg, work.path);
  std::string error;
  ASSERT_TRUE(service.start(&error));
  EXPECT_FALSE(service.enabled());
  EXPECT_EQ(service.call_started({"CA1", "MZ1", "AC1", "acme", "echo", ""}), 0u);
  EXPECT_TRUE(service.idle());
  EXPECT_FALSE(std::filesystem::exists(work.path / "spool"));
}

}  // namespace
}  // namespace mediaflow::evidence
