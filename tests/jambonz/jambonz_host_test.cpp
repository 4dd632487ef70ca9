// jambonz `listen` calls against the real host (`mediaflow serve`, spawned) from the simulated
// jambonz caller (mediaflow/dial/caller.hpp, CallProtocol::kJambonz), at 8 and 16 kHz, mono and
// stereo: echo byte for byte on the caller's channel, the offline agent's answer and its marks
// played out, a barge-in's killAudio with the pending marks cleared, recordings under jambonz's
// callSid; then what the host refuses (bad metadata, audio first, no subprotocol, no token).
#include <mediaflow/dial/caller.hpp>
#include <mediaflow/protocol/recording_manifest.hpp>

#include "support/fake_deepgram.hpp"
#include "support/host_process.hpp"
#include "support/raw_websocket.hpp"
#include "support/spoken_audio.hpp"
#include "support/test_files.hpp"
#include "support/wait_until.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace mediaflow::test {
namespace {

constexpr const char* kCallSid = "b7d4c3a2-1f0e-4d5c-9b8a-0123456789ab";  // a UUID, as jambonz's

struct Format {
  unsigned rate;
  unsigned channels;
};

std::string format_name(const ::testing::TestParamInfo<Format>& info) {
  return std::to_string(info.param.rate / 1000) + "kHz" + (info.param.channels == 2 ? "Stereo" : "Mono");
}

int16_t sample_at(const std::vector<uint8_t>& s16, size_t i) { return int16_t(s16[2 * i] | (s16[2 * i + 1] << 8)); }

// 16 kHz S16LE mono → `rate` (16000 as is; 8000 by averaging pairs, as a phone would).
std::vector<uint8_t> at_rate(const std::vector<uint8_t>& s16_16k, unsigned rate) {
  if (rate == 16000) return s16_16k;
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < s16_16k.size() / 2; i += 2) {
    const int v = (sample_at(s16_16k, i) + sample_at(s16_16k, i + 1)) / 2;
    out.push_back(uint8_t(v & 0xFF));
    out.push_back(uint8_t((v >> 8) & 0xFF));
  }
  return out;
}

// The wire audio of a call: `caller` (S16LE mono) on channel 0; a stereo call adds `callee` on 1
// (silence when empty), so a host reading the wrong channel hears something else.
std::vector<uint8_t> interleave(const std::vector<uint8_t>& caller, unsigned channels,
                                const std::vector<uint8_t>& callee = {}) {
  if (channels == 1) return caller;
  std::vector<uint8_t> out(caller.size() * 2, 0);
  for (size_t i = 0; i + 1 < caller.size(); i += 2) {
    out[2 * i] = caller[i];
    out[2 * i + 1] = caller[i + 1];
    if (i + 1 < callee.size()) {
      out[2 * i + 2] = callee[i];
      out[2 * i + 3] = callee[i + 1];
    }
  }
  return out;
}

std::vector<uint8_t> pattern(size_t bytes, uint8_t seed) {
  std::vector<uint8_t> a(bytes);
  uint32_t x = seed * 2654435761u + 1;
  for (auto& b : a) {
    x = x * 1664525u + 1013904223u;
    b = uint8_t(x >> 24);
  }
  return a;
}

std::vector<uint8_t> tone(unsigned rate, double seconds, double hz) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i < size_t(seconds * rate); ++i) {
    const int v = int(12000 * std::sin(2 * M_PI * hz * double(i) / rate));
    out.push_back(uint8_t(v & 0xFF));
    out.push_back(uint8_t((v >> 8) & 0xFF));
  }
  return out;
}

// Seconds of `s16` (mono, `rate`) in 20 ms chunks whose RMS is well above silence.
double audible_seconds(const std::vector<uint8_t>& s16, unsigned rate) {
  const size_t chunk = rate / 50;
  size_t loud = 0;
  for (size_t start = 0; start + chunk <= s16.size() / 2; start += chunk) {
    double sum = 0;
    for (size_t i = start; i < start + chunk; ++i) sum += double(sample_at(s16, i)) * sample_at(s16, i);
    if (std::sqrt(sum / double(chunk)) > 500) ++loud;
  }
  return double(loud) / 50;
}

class JambonzHost : public ::testing::TestWithParam<Format> {
 protected:
  void SetUp() override {
    host_ = start_host();
    ASSERT_TRUE(host_);
  }

  dial::CallerOptions call(const std::string& pipeline, std::vector<uint8_t> audio) const {
    dial::CallerOptions o;
    o.protocol = dial::CallProtocol::kJambonz;
    o.url = host_->ws_url("/fork");
    o.call_sid = kCallSid;
    o.sample_rate = GetParam().rate;
    o.channels = GetParam().channels;
    o.custom_parameters = {{"pipeline", pipeline}, {"organization_id", "acme"}};
    o.audio = std::move(audio);
    // What the host sends after the last frame still arrives before the hang-up.
    o.hold_seconds = 0.5;
    o.hold_with_silence = false;
    return o;
  }

  // The caller says `words` (at seconds) over `total` seconds of silence, at the call's rate.
  std::vector<uint8_t> speech(const std::vector<std::pair<double, std::string>>& words, double total) const {
    return interleave(at_rate(speech_at(words, total), GetParam().rate), GetParam().channels);
  }

  std::string transcript() const {
    const auto files = files_ending(host_->recordings_dir, "transcript.jsonl");
    return files.empty() ? "" : slurp(files[0]);
  }

  std::unique_ptr<TestHost> host_;
};

TEST_P(JambonzHost, EchoReturnsTheCallersChannelByteForByte) {
  const size_t frame = GetParam().rate / 50 * 2;  // 20 ms of one channel
  const auto caller = pattern(50 * frame, 1), callee = pattern(50 * frame, 2);
  const dial::CallResult r = dial::run_call(call("echo", interleave(caller, GetParam().channels, callee)));
  ASSERT_TRUE(r.connected) << r.error;
  EXPECT_EQ(r.close_code, 1000) << r.close_reason;
  EXPECT_FALSE(r.timed_out);
  EXPECT_EQ(r.frames_sent, 50u);
  EXPECT_EQ(r.received_audio, caller) << "the caller's channel, byte for byte";
  EXPECT_EQ(r.frames_matched, 50u);
  EXPECT_EQ(r.unparsable_messages, 0u);
  // jambonz ends a call by closing 1000 (no stop message): a completed call, not a lost one.
  EXPECT_TRUE(wait_until([&] {
    for (const auto& l : host_->log_lines())
      if (l.find("\"call_ended\"") != std::string::npos && l.find("\"outcome\":\"completed\"") != std::string::npos) return true;
    return false;
  }, 5000));
}

// The offline agent greets, hears "yes" after its greeting and answers; jambonz plays its marks
// and says so (`playout`), which the agent reads as heard speech.
TEST_P(JambonzHost, DefaultPipelineAnswersAndItsMarksArePlayedOut) {
  const dial::CallResult r = dial::run_call(call("default", speech({{3.0, "yes"}}, 6.0)));
  ASSERT_TRUE(r.connected) << r.error;
  EXPECT_EQ(r.close_code, 1000) << r.close_reason;
  EXPECT_GT(audible_seconds(r.received_audio, GetParam().rate), 1.5) << "greeting and answer heard";
  EXPECT_EQ(r.clears_received, 0u);
  ASSERT_FALSE(r.marks_received.empty());
  for (const auto& m : r.marks_received) EXPECT_EQ(m.rfind("espeak-agent-", 0), 0u) << m;
  EXPECT_EQ(r.marks_echoed, r.marks_received) << "every mark played out, in order";
  EXPECT_TRUE(r.marks_cleared.empty());
  std::string text;
  EXPECT_TRUE(wait_until([&] {
    text = transcript();
    return text.find(R"("kind":"agent_response","text":"You said yes.")") != std::string::npos &&
           text.find(R"("vendor":"espeak","kind":"heard")") != std::string::npos;
  }, 5000)) << text;
}

// The caller speaks over a long greeting: the host sends killAudio, jambonz drops what it had
// buffered and answers the marks still pending `cleared`. A playout buffer of 0.6 s (more than
// the agent's 500 ms between marks) keeps at least one mark pending at any moment of speech.
TEST_P(JambonzHost, BargeInKillsAudioAndPendingMarksComeBackCleared) {
  dial::CallerOptions o = call("default", speech({{2.5, "yes"}}, 6.0));
  o.custom_parameters["greeting"] =
      "Hello. This is a long greeting, so that there is time to interrupt it. It goes on, and on, and on.";
  o.playout_delay_seconds = 0.6;
  const dial::CallResult r = dial::run_call(o);
  ASSERT_TRUE(r.connected) << r.error;
  EXPECT_EQ(r.close_code, 1000) << r.close_reason;
  ASSERT_GE(r.clears_received, 1u) << "killAudio";
  EXPECT_GT(r.bytes_cleared, 0u) << "buffered greeting dropped";
  EXPECT_FALSE(r.marks_cleared.empty());
  // Each mark is answered once, played or cleared; marks play in order, so the cleared ones are
  // the newest at the killAudio: one run in arrival order.
  std::vector<std::string> echoed = r.marks_echoed, received = r.marks_received;
  std::sort(echoed.begin(), echoed.end());
  std::sort(received.begin(), received.end());
  EXPECT_EQ(echoed, received);
  std::vector<size_t> cleared_at;
  for (const auto& m : r.marks_cleared)
    cleared_at.push_back(size_t(std::find(r.marks_received.begin(), r.marks_received.end(), m) - r.marks_received.begin()));
  for (size_t i = 1; i < cleared_at.size(); ++i) EXPECT_EQ(cleared_at[i], cleared_at[i - 1] + 1) << r.marks_cleared[i];
  std::string text;
  EXPECT_TRUE(wait_until([&] {
    text = transcript();
    return text.find(R"("kind":"interruption")") != std::string::npos;
  }, 5000)) << text;
}

// `record` keeps the caller's channel (a tone; the stereo callee is silent) at the call's rate (no resampler), under the
// organisation and jambonz's callSid, with the manifest beside it.
TEST_P(JambonzHost, RecordWritesTheCallersChannelUnderTheCallSid) {
  const auto caller = tone(GetParam().rate, 1.0, 440);
  const dial::CallResult r = dial::run_call(call("record", interleave(caller, GetParam().channels)));
  ASSERT_EQ(r.close_code, 1000) << r.error << r.close_reason;
  const fs::path folder = host_->recordings_dir / "org" / "acme" / "recordings" / kCallSid;
  std::vector<fs::path> wavs, manifests;
  ASSERT_TRUE(wait_until([&] {
    wavs = files_ending(folder, ".wav");
    manifests = files_ending(folder, ".json");
    return wavs.size() == 1 && manifests.size() == 1;
  }, 5000)) << folder;
  EXPECT_EQ(wavs[0].stem(), manifests[0].stem()) << "{recording_id}.wav beside {recording_id}.json";
  const auto m = protocol::manifest_from_json(slurp(manifests[0]));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->call_sid, kCallSid);
  EXPECT_EQ(m->stream_sid, kCallSid) << "jambonz has no stream id apart from the call's";
  EXPECT_EQ(m->organization_id, "acme");
  EXPECT_EQ(m->pipeline, "record");
  const Wav w = read_wav(wavs[0]);
  EXPECT_EQ(w.info.format.sample_rate, GetParam().rate);
  EXPECT_EQ(m->sample_rate, GetParam().rate);
  EXPECT_NEAR(w.seconds(), 1.0, 0.1);
  int16_t left = 0, right = 0;
  for (size_t i = 0; i < w.frames(); ++i) {
    left = std::max<int16_t>(left, int16_t(std::abs(w.at(i, 0))));
    right = std::max<int16_t>(right, int16_t(std::abs(w.at(i, 1))));
  }
  EXPECT_GT(left, 6000) << "the caller's tone on the left";
  EXPECT_LT(right, 100) << "the (silent) agent on the right";
}

INSTANTIATE_TEST_SUITE_P(Formats, JambonzHost,
                         ::testing::Values(Format{8000, 1}, Format{16000, 1}, Format{8000, 2}, Format{16000, 2}),
                         format_name);

// The shipped transcribe-deepgram pipeline runs unchanged on jambonz: Deepgram gets the call's
// PCM as it is, at the call's rate (linear16, byte for byte: no downsampling to 8 kHz mu-law, no
// resampling), and the recorder records it at the call's rate too (no converter at all).
class JambonzTranscribe : public ::testing::TestWithParam<unsigned> {};

TEST_P(JambonzTranscribe, DeepgramGetsTheCallsPcmAsItIsAndTheRecordingIsAtTheCallsRate) {
  const unsigned rate = GetParam();
  FakeDeepgram vendor("dg-test-key");
  ASSERT_NE(vendor.start(), 0);
  auto host = start_host({{"DEEPGRAM_API_KEY", "dg-test-key"}, {"DEEPGRAM_WS_URL", vendor.url()}});
  ASSERT_TRUE(host);
  const auto caller = tone(rate, 1.0, 440);
  dial::CallerOptions o;
  o.protocol = dial::CallProtocol::kJambonz;
  o.url = host->ws_url("/fork");
  o.call_sid = kCallSid;
  o.sample_rate = rate;
  o.channels = 1;
  o.custom_parameters = {{"pipeline", "transcribe-deepgram"}, {"organization_id", "acme"}};
  o.audio = caller;
  o.hold_seconds = 0.5;
  o.hold_with_silence = false;
  const dial::CallResult r = dial::run_call(o);
  ASSERT_EQ(r.close_code, 1000) << r.error << r.close_reason;

  std::vector<FakeDeepgram::Connection> conns;
  ASSERT_TRUE(wait_until([&] {
    conns = vendor.connections();
    return conns.size() == 1 && conns[0].close_stream;
  }, 5000));
  EXPECT_EQ(conns[0].query["encoding"], "linear16");
  EXPECT_EQ(conns[0].query["sample_rate"], std::to_string(rate));
  ASSERT_EQ(conns[0].audio.size(), caller.size());
  EXPECT_TRUE(conns[0].audio == caller) << "the caller's PCM, unchanged";

  const fs::path folder = host->recordings_dir / "org" / "acme" / "recordings" / kCallSid;
  std::vector<fs::path> wavs;
  ASSERT_TRUE(wait_until([&] {
    wavs = files_ending(folder, ".wav");
    return wavs.size() == 1 && !files_ending(folder, ".json").empty();
  }, 5000)) << folder;
  const Wav w = read_wav(wavs[0]);
  EXPECT_EQ(w.info.format.sample_rate, rate);
  EXPECT_NEAR(w.seconds(), 1.0, 0.1);
  int16_t left = 0;
  for (size_t i = 0; i < w.frames(); ++i) left = std::max<int16_t>(left, int16_t(std::abs(w.at(i, 0))));
  EXPECT_GT(left, 6000) << "the caller's tone, recorded";
}

INSTANTIATE_TEST_SUITE_P(Rates, JambonzTranscribe, ::testing::Values(16000u, 48000u),
                         [](const ::testing::TestParamInfo<unsigned>& info) {
                           return std::to_string(info.param / 1000) + "kHz";
                         });

// --- what the host refuses -----------------------------------------------------------------------

std::map<std::string, std::string> offering_jambonz() { return {{"Sec-WebSocket-Protocol", "audio.jambonz.org"}}; }

// The first frame decides: not JSON is invalid data (1007); a metadata frame without callSid, or
// with a rate the listen verb does not allow, or audio before any metadata, is refused (1008).
// Each refusal ends that call only: the host goes on serving.
TEST(JambonzHostRefuses, BadMetadataAndAudioFirstWithTheirCloseCodes) {
  auto host = start_host();
  ASSERT_TRUE(host);
  struct Case {
    const char* what;
    uint8_t opcode;
    std::string first;
    uint16_t code;
  };
  const std::vector<Case> cases = {
      {"not JSON", 1, "sampleRate=8000", 1007},
      {"no callSid", 1, R"({"sampleRate":8000,"mixType":"mono"})", 1008},
      {"32 kHz", 1, R"({"sampleRate":32000,"mixType":"mono","callSid":"c1"})", 1008},
      {"audio before the metadata", 2, std::string(320, '\0'), 1008},
  };
  for (const auto& c : cases) {
    RawWebSocket ws;
    ASSERT_EQ(ws.connect(uint16_t(host->port()), "/fork", offering_jambonz()), 101) << c.what;
    ASSERT_TRUE(ws.send_frame(c.opcode, c.first)) << c.what;
    EXPECT_EQ(ws.wait_close(5000), c.code) << c.what;
  }
  dial::CallerOptions o;
  o.protocol = dial::CallProtocol::kJambonz;
  o.url = host->ws_url("/fork");
  o.custom_parameters = {{"pipeline", "echo"}};
  o.audio = pattern(3200, 3);
  const dial::CallResult r = dial::run_call(o);
  EXPECT_EQ(r.close_code, 1000) << r.error;
  EXPECT_EQ(r.frames_sent, 10u);
}

TEST(JambonzHostRefuses, AnUpgradeNotOfferingTheSubprotocolWith400) {
  auto host = start_host();
  ASSERT_TRUE(host);
  RawWebSocket none, other;
  EXPECT_EQ(none.connect(uint16_t(host->port()), "/fork"), 400);
  EXPECT_EQ(other.connect(uint16_t(host->port()), "/fork", {{"Sec-WebSocket-Protocol", "audio.drachtio.org"}}), 400);
  RawWebSocket offered;
  EXPECT_EQ(offered.connect(uint16_t(host->port()), "/fork", {{"Sec-WebSocket-Protocol", "chat, audio.jambonz.org"}}),
            101);
}

// Same token rules as Twilio's path: refused without one (401), accepted in the query, the path
// or the x-media-auth header.
TEST(JambonzHostRefuses, ACallWithoutTheTokenWith401) {
  auto host = start_host({{"MEDIA_AUTH_TOKEN", "jambonz-secret-0123456789"}});
  ASSERT_TRUE(host);
  dial::CallerOptions o;
  o.protocol = dial::CallProtocol::kJambonz;
  o.custom_parameters = {{"pipeline", "echo"}};
  o.audio = pattern(1600, 4);
  o.url = host->ws_url("/fork");
  dial::CallResult refused = dial::run_call(o);
  EXPECT_FALSE(refused.connected);
  EXPECT_EQ(refused.http_status, 401u);
  o.headers = {{"x-media-auth", "wrong"}};
  EXPECT_EQ(dial::run_call(o).http_status, 401u);

  for (const std::string& url : {host->ws_url("/fork?token=jambonz-secret-0123456789"),
                                 host->ws_url("/fork/jwt/jambonz-secret-0123456789"), host->ws_url("/fork")}) {
    o.url = url;
    o.headers.clear();
    if (url == host->ws_url("/fork")) o.headers = {{"x-media-auth", "jambonz-secret-0123456789"}};
    const dial::CallResult r = dial::run_call(o);
    EXPECT_TRUE(r.connected) << url << ": " << r.error;
    EXPECT_EQ(r.close_code, 1000) << url;
  }
}

}  // namespace
}  // namespace mediaflow::test
