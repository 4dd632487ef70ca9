// End to end through the real host (in process): a simulated Twilio caller on a WebSocket,
// the shipped agent-elevenlabs pipeline, and the fake ElevenLabs server (ELEVENLABS_* env).
#include "elevenlabs/tone.hpp"
#include "server/host_fixture.hpp"
#include "support/fake_elevenlabs.hpp"

#include <mediaflow/protocol/recording_manifest.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace mediaflow::test {
namespace {

namespace tw = protocol::twilio;
namespace fs = std::filesystem;

struct Received {
  std::string event;
  std::vector<uint8_t> payload;
  std::string mark;
};

std::string field(const std::string& json, const std::string& key) {
  const auto p = json.find("\"" + key + "\":\"");
  if (p == std::string::npos) return {};
  const auto s = p + key.size() + 4;
  return json.substr(s, json.find('"', s) - s);
}

class ElevenLabsHost : public HostTest {
 protected:
  void SetUp() override {
    HostTest::SetUp();
    ASSERT_NE(fake_.start(), 0);
    recordings_ = fs::temp_directory_path() / ("mediaflow-el-" + std::to_string(::getpid()));
    fs::remove_all(recordings_);
    g_setenv("ELEVENLABS_WS_URL", fake_.ws_url().c_str(), TRUE);
    g_setenv("ELEVENLABS_API_URL", fake_.api_url().c_str(), TRUE);
    g_setenv("ELEVENLABS_AGENT_ID", "agent_test", TRUE);
    g_setenv("RECORDINGS_DIR", recordings_.c_str(), TRUE);
    config_.recordings_dir = recordings_;
  }
  void TearDown() override {
    HostTest::TearDown();
    fs::remove_all(recordings_);
  }

  // Reads frames until `until` holds for what was received (or the timeout).
  bool read_until(RawWebSocket& ws, const std::function<bool(const std::vector<Received>&)>& until, int timeout_ms = 4000) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (!until(received_)) {
      const int left = int(std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now()).count());
      if (left <= 0) return false;
      auto f = ws.read_frame(left);
      if (!f) return false;
      if (f->opcode != 1) continue;
      Received r;
      r.event = field(f->payload, "event");
      if (r.event == "media") {
        const std::string b64 = field(f->payload, "payload");
        std::vector<uint8_t> out(tw::base64_decoded_max(b64.size()));
        if (auto n = tw::decode_base64(b64, out)) out.resize(*n);
        r.payload = std::move(out);
      } else if (r.event == "mark") {
        r.mark = field(f->payload, "name");
      }
      received_.push_back(std::move(r));
    }
    return true;
  }

  static std::vector<uint8_t> media_after(const std::vector<Received>& rs, std::size_t from) {
    std::vector<uint8_t> all;
    for (std::size_t i = from; i < rs.size(); ++i)
      if (rs[i].event == "media") all.insert(all.end(), rs[i].payload.begin(), rs[i].payload.end());
    return all;
  }

  std::vector<fs::path> recordings_with(const std::string& ext) {
    std::vector<fs::path> out;
    if (!fs::exists(recordings_)) return out;
    for (auto& e : fs::recursive_directory_iterator(recordings_))
      if (e.path().extension() == ext) out.push_back(e.path());
    return out;
  }

  static std::string read_text(const fs::path& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  FakeElevenLabs fake_;
  fs::path recordings_;
  std::vector<Received> received_;
};

TEST_F(ElevenLabsHost, CallerAndAgentAudioPassUnchangedAndBargeInClears) {
  start_host();
  RawWebSocket ws;
  ASSERT_EQ(ws.connect(port(), "/rtm/voice"), 101);
  ASSERT_TRUE(ws.send_text(tw::encode_connected()));
  ASSERT_TRUE(ws.send_text(start_message("agent-elevenlabs")));
  const auto caller = send_media(ws, 25, 4);
  ASSERT_TRUE(FakeElevenLabs::wait_until([&] {
    auto c = fake_.conversations();
    return !c.empty() && c[0].user_audio.size() >= caller.size();
  }, 4000));
  EXPECT_EQ(fake_.conversations()[0].user_audio, caller);  // the caller's mu-law, unchanged
  EXPECT_NE(fake_.conversations()[0].dynamic_variables.count("call_sid"), 0u);

  // Agent speech reaches the caller as 20 ms mu-law media frames, byte for byte, then a mark.
  const auto greeting = FakeElevenLabs::agent_audio("ulaw_8000", 400, 5);
  fake_.send_audio(0, greeting, 1);
  ASSERT_TRUE(read_until(ws, [](auto& rs) { return !rs.empty() && rs.back().event == "mark"; }));
  for (std::size_t i = 0; i + 1 < received_.size(); ++i) {
    EXPECT_EQ(received_[i].event, "media");
    EXPECT_EQ(received_[i].payload.size(), 160u);
  }
  EXPECT_EQ(media_after(received_, 0), greeting);

  fake_.send_ping(0, 77);
  ASSERT_TRUE(FakeElevenLabs::wait_until([&] { return !fake_.conversations()[0].pong_ids.empty(); }, 4000));
  EXPECT_EQ(fake_.conversations()[0].pong_ids[0], 77u);

  // Barge-in: clear, and no stale agent frame after it.
  fake_.send_audio(0, FakeElevenLabs::agent_audio("ulaw_8000", 300, 6), 2);
  fake_.send_interruption(0, 2);
  fake_.send_audio(0, FakeElevenLabs::agent_audio("ulaw_8000", 300, 7), 2);
  const auto fresh = FakeElevenLabs::agent_audio("ulaw_8000", 200, 8);
  fake_.send_audio(0, fresh, 3);
  std::size_t clear = SIZE_MAX;
  ASSERT_TRUE(read_until(ws, [&](auto& rs) {
    for (std::size_t i = 0; i < rs.size() && clear == SIZE_MAX; ++i)
      if (rs[i].event == "clear") clear = i;
    return clear != SIZE_MAX && media_after(rs, clear).size() >= fresh.size();
  }));
  EXPECT_EQ(media_after(received_, clear), fresh);

  ASSERT_TRUE(ws.send_text(tw::encode_stop(40, "MZ00000000000000000000000000000001", "AC00000000000000000000000000000001",
                                           "CA00000000000000000000000000000001")));
  EXPECT_EQ(ws.wait_close(8000), 1000);
  ASSERT_TRUE(eventually([&] { return recordings_with(".json").size() == 1; }));
  EXPECT_EQ(recordings_with(".wav").size(), 1u);
  EXPECT_TRUE(FakeElevenLabs::wait_until([&] { return fake_.conversations()[0].closed; }, 4000));
  // The call gave its pipeline back (the agent element and its vendor client hold no reference).
  EXPECT_TRUE(eventually([] { return metrics().pipelines_live().value() == 0; }));
}

TEST_F(ElevenLabsHost, RefusedAgentClosesTheCall1011WithRecordingFinalised) {
  fake_.refuse_handshake(403);
  start_host();
  RawWebSocket ws;
  ASSERT_EQ(ws.connect(port(), "/rtm/voice"), 101);
  ASSERT_TRUE(ws.send_text(tw::encode_connected()));
  ASSERT_TRUE(ws.send_text(start_message("agent-elevenlabs")));
  send_media(ws, 5, 1);
  EXPECT_EQ(ws.wait_close(8000), 1011);
  ASSERT_TRUE(eventually([&] { return recordings_with(".json").size() == 1; }));
  EXPECT_EQ(recordings_with(".wav").size(), 1u);
}

TEST_F(ElevenLabsHost, AgentEndingTheConversationHangsUpNormallyAfterItsLastAudio) {
  ASSERT_NO_FATAL_FAILURE(start_host());
  const auto hangups = metrics().calls_total("hangup").value();
  const auto errors = metrics().pipeline_errors().value();
  RawWebSocket ws;
  ASSERT_EQ(ws.connect(port(), "/rtm/voice"), 101);
  ASSERT_TRUE(ws.send_text(start_message("agent-elevenlabs")));
  send_media(ws, 5, 1);
  ASSERT_TRUE(FakeElevenLabs::wait_until([&] { return !fake_.conversations().empty() && fake_.conversations()[0].metadata_sent; }, 4000));
  const std::vector<uint8_t> goodbye(800, 0x42);  // 100 ms of agent audio
  fake_.send_audio(0, goodbye, 1);
  ASSERT_TRUE(read_until(ws, [&](const auto& rs) { return media_after(rs, 0).size() >= goodbye.size(); }));
  fake_.close(0, 1000);  // the agent said goodbye and ended the conversation
  EXPECT_EQ(ws.wait_close(8000), 1000);
  EXPECT_EQ(media_after(received_, 0), goodbye);
  EXPECT_TRUE(eventually([&] { return metrics().calls_total("hangup").value() == hangups + 1; }));
  EXPECT_EQ(metrics().pipeline_errors().value(), errors) << "a goodbye is not a pipeline failure";
  ASSERT_TRUE(eventually([&] { return recordings_with(".json").size() == 1; }));
}

// Format-agnostic agent (issue #17 item 4): whatever input and output format the agent
// announces, the shipped pipeline (mu-law 8 kHz both ways) works unchanged. The caller sends a
// 440 Hz tone; the fake must receive it in the agent's input format (content checked). The
// agent answers with a 1 kHz tone in its output format; the caller must get mu-law 8 kHz in
// 160-byte frames (the last of a response may be shorter) carrying that tone, the mark after the
// last frame; then a response in uneven (odd-length) chunks with a mark after each: still in
// 160-byte frames but the last, the marks on frame boundaries, reassembled (byte for byte when
// the agent speaks ulaw_8000).
class ElevenLabsHostFormats : public ElevenLabsHost, public ::testing::WithParamInterface<const char*> {};

TEST_P(ElevenLabsHostFormats, AgentInAnyFormatWorksOnTheShippedPipeline) {
  const std::string format = GetParam();
  const ToneFormat agent = tone_format(format), line{true, 8000};
  fake_.set_formats(format, format);
  ASSERT_NO_FATAL_FAILURE(start_host());
  RawWebSocket ws;
  ASSERT_EQ(ws.connect(port(), "/rtm/voice"), 101);
  ASSERT_TRUE(ws.send_text(tw::encode_connected()));
  ASSERT_TRUE(ws.send_text(start_message("agent-elevenlabs")));
  const std::string sid = "MZ00000000000000000000000000000001";

  // Caller → agent: 1 s of 440 Hz mu-law in 20 ms frames.
  const auto caller = encode_tone(line, 440, 1000);
  for (std::size_t i = 0; i * 160 < caller.size(); ++i) {
    const std::vector<uint8_t> frame(caller.begin() + std::ptrdiff_t(i * 160), caller.begin() + std::ptrdiff_t(i * 160 + 160));
    ASSERT_TRUE(ws.send_text(tw::encode_inbound_media(i + 2, sid, "inbound", i + 1, i * 20, frame)));
  }
  const std::size_t expected_in = std::size_t(agent.rate) * agent.bytes_per_sample();  // 1 s
  ASSERT_TRUE(FakeElevenLabs::wait_until([&] {
    auto c = fake_.conversations();
    return !c.empty() && c[0].user_audio.size() >= expected_in * 97 / 100;
  }, 4000)) << format << ": the agent got no (or too little) caller audio";
  g_usleep(100000);  // anything still on its way
  const auto heard_by_agent = fake_.conversations()[0].user_audio;
  if (agent.mulaw) {
    EXPECT_EQ(heard_by_agent, caller);  // ulaw_8000: the caller's bytes, unchanged
  } else {
    const auto a = analyse_tone(decode_audio(agent, heard_by_agent), agent.rate);
    EXPECT_NEAR(a.ms, 1000, 15) << format;
    EXPECT_NEAR(a.hz, 440, 440 * 0.03) << format;
    EXPECT_GT(a.rms, 3000) << format;
  }

  // Agent → caller: one response, 400 ms of 1 kHz in the agent's format.
  const auto reply = encode_tone(agent, 1000, 400);
  fake_.send_audio(0, reply, 1);
  ASSERT_TRUE(read_until(ws, [](auto& rs) { return !rs.empty() && rs.back().event == "mark"; })) << format;
  std::size_t media = 0;
  for (std::size_t i = 0; i + 1 < received_.size(); ++i) {
    ASSERT_EQ(received_[i].event, "media") << format;
    ++media;
    if (i + 2 < received_.size()) {
      EXPECT_EQ(received_[i].payload.size(), 160u) << format << ": frame " << i;
    }
    EXPECT_LE(received_[i].payload.size(), 160u) << format;
  }
  ASSERT_GT(media, 0u);
  const auto first = media_after(received_, 0);
  if (agent.mulaw) {
    EXPECT_EQ(first, reply);  // ulaw_8000: the agent's bytes, unchanged
  } else {
    const auto a = analyse_tone(decode_audio(line, first), 8000);
    EXPECT_NEAR(a.ms, 400, 10) << format;  // less only the resampler's lag
    EXPECT_NEAR(a.hz, 1000, 1000 * 0.03) << format;
    EXPECT_GT(a.rms, 3000) << format;
  }

  // A second response in uneven chunks (odd lengths split PCM samples across messages), one
  // audio event each, each followed by the element's mark: it still reaches the caller in
  // 160-byte frames except the response's very last one (issue #17 item 3), reassembled, each
  // mark right after the frame holding its position, the final mark after the last frame.
  const std::size_t marks_before = received_.size();
  const auto second = encode_tone(agent, 1000, 300);
  const std::size_t sizes[] = {333, 1001, 7, 160, 2999};
  std::size_t pos = 0, events = 0;
  std::vector<std::size_t> ends;  // where each event's audio ends, in the agent's bytes
  for (std::size_t k = 0; pos < second.size(); ++k, ++events) {
    const std::size_t n = std::min(sizes[k % std::size(sizes)], second.size() - pos);
    fake_.send_audio(0, std::vector<uint8_t>(second.begin() + std::ptrdiff_t(pos), second.begin() + std::ptrdiff_t(pos + n)), 2);
    pos += n;
    ends.push_back(pos);
  }
  ASSERT_TRUE(read_until(ws, [&](auto& rs) {
    std::size_t marks = 0;
    for (std::size_t i = marks_before; i < rs.size(); ++i) marks += rs[i].event == "mark";
    return marks == events;
  })) << format;
  EXPECT_EQ(received_.back().event, "mark");
  std::vector<std::size_t> frames;  // indexes of this response's media messages
  for (std::size_t i = marks_before; i < received_.size(); ++i)
    if (received_[i].event == "media") frames.push_back(i);
  ASSERT_FALSE(frames.empty()) << format;
  for (std::size_t k = 0; k + 1 < frames.size(); ++k)
    EXPECT_EQ(received_[frames[k]].payload.size(), 160u) << format << ": frame " << k << " of " << frames.size();
  EXPECT_GT(received_[frames.back()].payload.size(), 0u) << format;
  EXPECT_LE(received_[frames.back()].payload.size(), 160u) << format;
  EXPECT_LT(frames.back(), received_.size() - 1) << format << ": the final mark after the last frame";
  if (agent.mulaw) {
    // The caller's bytes are the agent's: mark k follows exactly the frames up to the one
    // holding the end of event k.
    std::size_t sent = 0, k = 0;
    for (std::size_t i = marks_before; i < received_.size(); ++i) {
      if (received_[i].event == "media") sent += received_[i].payload.size();
      if (received_[i].event != "mark") continue;
      ASSERT_LT(k, ends.size());
      EXPECT_EQ(sent, std::min((ends[k] + 159) / 160 * 160, second.size())) << format << ": mark " << k;
      ++k;
    }
  }
  const auto assembled = media_after(received_, marks_before);
  if (agent.mulaw) {
    EXPECT_EQ(assembled, second);
  } else {
    const auto a = analyse_tone(decode_audio(line, assembled), 8000);
    EXPECT_NEAR(a.ms, 300, 10) << format;
    EXPECT_NEAR(a.hz, 1000, 1000 * 0.03) << format;
  }

  ASSERT_TRUE(ws.send_text(tw::encode_stop(200, sid, "AC00000000000000000000000000000001", "CA00000000000000000000000000000001")));
  EXPECT_EQ(ws.wait_close(8000), 1000) << format;
  ASSERT_TRUE(eventually([&] { return recordings_with(".json").size() == 1; }));
  // What ran is on record: conversation_started in transcript.jsonl.
  const auto transcripts = recordings_with(".jsonl");
  ASSERT_EQ(transcripts.size(), 1u);
  const std::string t = read_text(transcripts[0]);
  const bool converted = !agent.mulaw;
  EXPECT_NE(t.find("\"user-input-format\":\"" + format + "\""), std::string::npos) << t;
  EXPECT_NE(t.find("\"agent-output-format\":\"" + format + "\""), std::string::npos) << t;
  EXPECT_NE(t.find("\"sink-format\":\"ulaw_8000\""), std::string::npos) << t;
  EXPECT_NE(t.find("\"src-format\":\"ulaw_8000\""), std::string::npos) << t;
  EXPECT_NE(t.find(std::string("\"input-converted\":") + (converted ? "true" : "false")), std::string::npos) << t;
  EXPECT_NE(t.find(std::string("\"output-converted\":") + (converted ? "true" : "false")), std::string::npos) << t;
  // … and in the recording's manifest (agent_audio), carried there along the agent's track.
  const auto manifests = recordings_with(".json");
  ASSERT_EQ(manifests.size(), 1u);
  auto m = protocol::manifest_from_json(read_text(manifests[0]));
  ASSERT_TRUE(m && m->agent_audio) << read_text(manifests[0]);
  EXPECT_EQ(m->agent_audio->vendor, "elevenlabs");
  EXPECT_EQ(m->agent_audio->user_input_format, format);
  EXPECT_EQ(m->agent_audio->agent_output_format, format);
  EXPECT_EQ(m->agent_audio->sink_format, "ulaw_8000");
  EXPECT_EQ(m->agent_audio->src_format, "ulaw_8000");
  EXPECT_EQ(m->agent_audio->input_converted, converted);
  EXPECT_EQ(m->agent_audio->output_converted, converted);
  // Both tracks recorded at the line's 8 kHz (mulawdec only, no resampler), the whole call long.
  EXPECT_EQ(m->sample_rate, 8000u);
  EXPECT_GT(m->duration_seconds, 0.5);
}

INSTANTIATE_TEST_SUITE_P(Formats, ElevenLabsHostFormats,
                         ::testing::Values("ulaw_8000", "pcm_8000", "pcm_16000", "pcm_22050", "pcm_24000", "pcm_44100"),
                         [](const auto& info) { return std::string(info.param); });

}  // namespace
}  // namespace mediaflow::test
