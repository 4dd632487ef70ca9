#include <mediaflow/protocol/recording_manifest.hpp>

#include <json-glib/json-glib.h>
#include <gtest/gtest.h>

namespace {
using namespace mediaflow::protocol;

RecordingManifest sample() {
  RecordingManifest m;
  m.call_sid = "CA\"quote\\back\nline";
  m.stream_sid = "MZ1";
  m.recording_id = "rec-1";
  m.organization_id = "org ☎";
  m.started_at = "2024-05-01T12:00:00.123Z";
  m.pipeline = "default";
  m.complete = true;
  m.duration_seconds = 10.0;
  m.bytes = 640044;
  m.sha256 = std::string(64, 'a');
  m.files = {{"rec-1.wav", "caller+agent", 640044, std::string(64, 'a')}};
  return m;
}

TEST(RecorderManifest, RoundTripsEveryField) {
  const auto m = sample();
  std::string why;
  auto back = manifest_from_json(manifest_to_json(m), &why);
  ASSERT_TRUE(back) << why;
  EXPECT_EQ(back->call_sid, m.call_sid);
  EXPECT_EQ(back->organization_id, m.organization_id);
  EXPECT_EQ(back->started_at, m.started_at);
  EXPECT_DOUBLE_EQ(back->duration_seconds, 10.0);
  EXPECT_EQ(back->sample_rate, 16000u);
  EXPECT_EQ(back->channels, 2);
  EXPECT_EQ(back->tracks, (std::vector<std::string>{"caller", "agent"}));
  EXPECT_EQ(back->bytes, 640044u);
  EXPECT_EQ(back->sha256, m.sha256);
  ASSERT_EQ(back->files.size(), 1u);
  EXPECT_EQ(back->files[0].file, "rec-1.wav");
  EXPECT_TRUE(back->complete);
  EXPECT_FALSE(back->recovered);
}

TEST(RecorderManifest, ContractFieldNamesAndTypes) {
  auto m = sample();
  m.recovered = true;
  const std::string json = manifest_to_json(m);
  JsonParser* p = json_parser_new();
  ASSERT_TRUE(json_parser_load_from_data(p, json.c_str(), -1, nullptr));
  JsonObject* o = json_node_get_object(json_parser_get_root(p));
  for (const char* k : {"call_sid", "stream_sid", "recording_id", "organization_id", "started_at", "sha256", "pipeline"})
    EXPECT_EQ(json_node_get_value_type(json_object_get_member(o, k)), G_TYPE_STRING) << k;
  for (const char* k : {"sample_rate", "channels", "bytes"})
    EXPECT_EQ(json_node_get_value_type(json_object_get_member(o, k)), G_TYPE_INT64) << k;
  EXPECT_EQ(json_node_get_value_type(json_object_get_member(o, "duration_seconds")), G_TYPE_DOUBLE);
  EXPECT_TRUE(json_object_get_boolean_member(o, "recovered"));
  EXPECT_FALSE(json_object_has_member(o, "truncated"));
  g_object_unref(p);
}

TEST(RecorderManifest, AgentAudioIsAnObjectThatRoundTripsAndIsAbsentWithoutAnAgent) {
  auto m = sample();
  EXPECT_EQ(manifest_to_json(m).find("agent_audio"), std::string::npos);
  m.agent_audio = AgentAudio{"elevenlabs", "pcm_16000", "pcm_24000", "ulaw_8000", "ulaw_8000", true, true};
  const std::string json = manifest_to_json(m);
  JsonParser* p = json_parser_new();
  ASSERT_TRUE(json_parser_load_from_data(p, json.c_str(), -1, nullptr));
  JsonObject* a = json_object_get_object_member(json_node_get_object(json_parser_get_root(p)), "agent_audio");
  ASSERT_TRUE(a) << json;
  EXPECT_STREQ(json_object_get_string_member(a, "user_input_format"), "pcm_16000");
  EXPECT_STREQ(json_object_get_string_member(a, "src_format"), "ulaw_8000");
  EXPECT_TRUE(json_object_get_boolean_member(a, "output_converted"));
  g_object_unref(p);
  auto back = manifest_from_json(json);
  ASSERT_TRUE(back && back->agent_audio);
  EXPECT_EQ(back->agent_audio->vendor, "elevenlabs");
  EXPECT_EQ(back->agent_audio->agent_output_format, "pcm_24000");
  EXPECT_EQ(back->agent_audio->sink_format, "ulaw_8000");
  EXPECT_TRUE(back->agent_audio->input_converted);
}

TEST(RecorderManifest, SidecarFormLeavesResultsOut) {
  auto m = sample();
  m.complete = false;
  const std::string json = manifest_to_json(m);
  EXPECT_EQ(json.find("sha256"), std::string::npos);
  EXPECT_EQ(json.find("duration_seconds"), std::string::npos);
  auto back = manifest_from_json(json);
  ASSERT_TRUE(back);
  EXPECT_FALSE(back->complete);
  EXPECT_EQ(back->pipeline, "default");
}

TEST(RecorderManifest, MalformedInputIsRefusedWithReason) {
  std::string why;
  EXPECT_FALSE(manifest_from_json("{not json", &why));
  EXPECT_FALSE(why.empty());
  EXPECT_FALSE(manifest_from_json("[1,2]", &why));
  EXPECT_EQ(why, "manifest is not a JSON object");
  EXPECT_FALSE(manifest_from_json(R"({"call_sid":"x"})", &why));
  EXPECT_EQ(why, "manifest has no recording_id");
  // Wrong types are ignored, not trusted.
  auto m = manifest_from_json(R"({"recording_id":"r","tracks":"nope","files":7,"sample_rate":"x"})");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->sample_rate, 16000u);
}

// Found by the recording_recovery and recording_manifest fuzzers: a format no recording can
// have (zero, or beyond the WAV fields) reached recovery's frame arithmetic, and a huge number
// was cast to an integer without a range check (undefined behaviour).
TEST(RecorderManifest, AudioFormatNoRecordingCanHaveIsRefused) {
  std::string why;
  for (const char* json : {R"({"recording_id":"r","channels":0})", R"({"recording_id":"r","channels":32768})",
                           R"({"recording_id":"r","channels":-1})", R"({"recording_id":"r","sample_rate":0})",
                           R"({"recording_id":"r","sample_rate":4294967296})", R"({"recording_id":"r","channels":1e300})"}) {
    EXPECT_FALSE(manifest_from_json(json, &why)) << json;
    EXPECT_EQ(why, "manifest has no usable audio format (channels, sample_rate)") << json;
  }
  auto m = manifest_from_json(R"({"recording_id":"r","channels":1.0,"sample_rate":48000,"bytes":1e300})");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->channels, 1u);
  EXPECT_EQ(m->sample_rate, 48000u);
  EXPECT_EQ(m->bytes, 0u);  // not a byte count: ignored like a wrong type
}

// Found by the recording_manifest fuzzer: json-glib reads the octal escape "\777" as the byte
// 0xFF, which is not UTF-8, and a manifest written with it could not be read back.
TEST(RecorderManifest, StringsThatAreNotUtf8AreIgnoredSoWhatIsWrittenReadsBack) {
  auto m = manifest_from_json("{\"recording_id\":\"r\",\"pipeline\":\"a\\777b\",\"tracks\":[\"caller\",\"x\\777\"]}");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->pipeline, "");
  EXPECT_EQ(m->tracks, std::vector<std::string>{"caller"});
  EXPECT_TRUE(manifest_from_json(manifest_to_json(*m)));
}

TEST(RecorderManifest, FormatsIso8601Utc) {
  using namespace std::chrono;
  const system_clock::time_point t{milliseconds(1714564800123)};
  EXPECT_EQ(format_iso8601_utc(t), "2024-05-01T12:00:00.123Z");
}

}  // namespace
