// A live Twilio call on the shipped `announce` pipeline, through the real host, against the
// stream-input fake: the caller hears the fake's speech of ${param.text} (mu-law, byte for
// byte, in 20 ms media messages), a mark after its last audio, and the host closes the call
// normally (1000) once it is out, without the caller hanging up.
#include "server/host_fixture.hpp"
#include "support/fake_elevenlabs_tts.hpp"

#include <json-glib/json-glib.h>

namespace mediaflow::test {
namespace {

namespace tw = protocol::twilio;
constexpr const char* kStreamSid = "MZ00000000000000000000000000000001";

TEST_F(HostTest, AnnounceCallSpeaksTheTextThenClosesNormally) {
  FakeElevenLabsTts vendor("tts-test-key");
  ASSERT_NE(vendor.start(), 0);
  setenv("ELEVENLABS_API_KEY", "tts-test-key", 1);
  setenv("ELEVENLABS_TTS_WS_URL", vendor.url().c_str(), 1);
  ASSERT_NO_FATAL_FAILURE(start_host());

  tw::StartEvent s;
  s.stream_sid = kStreamSid;
  s.call_sid = "CA00000000000000000000000000000001";
  s.account_sid = "AC00000000000000000000000000000001";
  s.tracks = {"inbound"};
  s.custom_parameters["pipeline"] = "announce";
  s.custom_parameters["text"] = "Your order has shipped.";
  s.media_format = {"audio/x-mulaw", 8000, 1};

  RawWebSocket ws;
  ASSERT_EQ(ws.connect(port(), "/rtm/voice"), 101);
  ASSERT_TRUE(ws.send_text(tw::encode_start(1, s)));
  send_media(ws, 10, 3, kStreamSid);  // the caller says a little; it is ignored
  std::vector<WsFrame> frames;
  EXPECT_EQ(ws.wait_close(15000, &frames), 1000);
  host_->stop();

  std::vector<std::uint8_t> heard;
  std::size_t media_messages = 0, mark_after = 0;
  int marks = 0;
  for (const auto& f : frames) {
    if (f.opcode != 1) continue;
    JsonParser* p = json_parser_new();
    ASSERT_TRUE(json_parser_load_from_data(p, f.payload.c_str(), gssize(f.payload.size()), nullptr));
    JsonObject* o = json_node_get_object(json_parser_get_root(p));
    const std::string event = json_object_get_string_member(o, "event");
    if (event == "media") {
      ++media_messages;
      gsize n = 0;
      guchar* bytes = g_base64_decode(
          json_object_get_string_member(json_object_get_object_member(o, "media"), "payload"), &n);
      heard.insert(heard.end(), bytes, bytes + n);
      g_free(bytes);
    } else if (event == "mark") {
      ++marks;
      mark_after = heard.size();
    }
    g_object_unref(p);
  }
  // "Your order has shipped. " is 24 characters at the fake's 20 ms: 0.48 s, 24 frames.
  ASSERT_EQ(heard.size(), 24u * 160u);
  EXPECT_EQ(heard, FakeElevenLabsTts::tone("ulaw_8000", heard.size()));
  EXPECT_EQ(media_messages, 24u);
  EXPECT_EQ(marks, 1);
  EXPECT_EQ(mark_after, heard.size());
  const auto streams = vendor.streams();
  ASSERT_EQ(streams.size(), 1u);
  EXPECT_NE(streams[0].text.find("Your order has shipped."), std::string::npos);
  EXPECT_EQ(streams[0].api_key, "tts-test-key");
}

}  // namespace
}  // namespace mediaflow::test
