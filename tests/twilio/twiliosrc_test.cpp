// twiliosrc in offline mode: capture files replayed through real pipelines.
#include <mediaflow/gstutil/audio_file.hpp>

#include <cmath>
#include <numeric>

#include "twilio/twilio_test_util.hpp"

using namespace mediaflow::test::twilio_util;
namespace tw = mediaflow::protocol::twilio;

namespace {

class TwilioSrc : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { init_gst_with_plugins(); }
  TempDir dir;
};

// ITU-T G.711 mu-law → 16-bit linear, generated independently of our code with
// python3 -c "import audioop,struct; print(struct.unpack('<256h', audioop.ulaw2lin(bytes(range(256)),2)))"
constexpr std::int16_t kG711MulawTable[256] = {
    -32124, -31100, -30076, -29052, -28028, -27004, -25980, -24956, -23932, -22908, -21884, -20860, -19836, -18812, -17788, -16764,
    -15996, -15484, -14972, -14460, -13948, -13436, -12924, -12412, -11900, -11388, -10876, -10364, -9852, -9340, -8828, -8316,
    -7932, -7676, -7420, -7164, -6908, -6652, -6396, -6140, -5884, -5628, -5372, -5116, -4860, -4604, -4348, -4092,
    -3900, -3772, -3644, -3516, -3388, -3260, -3132, -3004, -2876, -2748, -2620, -2492, -2364, -2236, -2108, -1980,
    -1884, -1820, -1756, -1692, -1628, -1564, -1500, -1436, -1372, -1308, -1244, -1180, -1116, -1052, -988, -924,
    -876, -844, -812, -780, -748, -716, -684, -652, -620, -588, -556, -524, -492, -460, -428, -396,
    -372, -356, -340, -324, -308, -292, -276, -260, -244, -228, -212, -196, -180, -164, -148, -132,
    -120, -112, -104, -96, -88, -80, -72, -64, -56, -48, -40, -32, -24, -16, -8, 0,
    32124, 31100, 30076, 29052, 28028, 27004, 25980, 24956, 23932, 22908, 21884, 20860, 19836, 18812, 17788, 16764,
    15996, 15484, 14972, 14460, 13948, 13436, 12924, 12412, 11900, 11388, 10876, 10364, 9852, 9340, 8828, 8316,
    7932, 7676, 7420, 7164, 6908, 6652, 6396, 6140, 5884, 5628, 5372, 5116, 4860, 4604, 4348, 4092,
    3900, 3772, 3644, 3516, 3388, 3260, 3132, 3004, 2876, 2748, 2620, 2492, 2364, 2236, 2108, 1980,
    1884, 1820, 1756, 1692, 1628, 1564, 1500, 1436, 1372, 1308, 1244, 1180, 1116, 1052, 988, 924,
    876, 844, 812, 780, 748, 716, 684, 652, 620, 588, 556, 524, 492, 460, 428, 396,
    372, 356, 340, 324, 308, 292, 276, 260, 244, 228, 212, 196, 180, 164, 148, 132,
    120, 112, 104, 96, 88, 80, 72, 64, 56, 48, 40, 32, 24, 16, 8, 0,
};

std::vector<std::uint8_t> frame(std::size_t n, std::uint8_t value) { return std::vector<std::uint8_t>(n, value); }

// A 1 kHz sine at half scale, 8 kHz S16 WAV, made by GStreamer's audiotestsrc, then mu-law.
std::vector<std::uint8_t> tone_mulaw(const TempDir& dir, int ms) {
  const auto wav = dir / "tone.wav";
  RunResult r;
  run_pipeline("audiotestsrc wave=sine freq=1000 volume=0.5 samplesperbuffer=80 num-buffers=" + std::to_string(ms / 10) +
                   " ! audio/x-raw,rate=8000,channels=1,format=S16LE ! wavenc ! filesink location=" + wav.string(),
               nullptr, r);
  EXPECT_TRUE(r.eos) << r.error;
  std::vector<std::uint8_t> mulaw;
  std::string error;
  EXPECT_TRUE(mediaflow::gstutil::decode_file_to_mulaw(wav, mulaw, error)) << error;
  return mulaw;
}

}  // namespace

TEST_F(TwilioSrc, GstInspectDocumentsTheElement) {
  auto r = spawn({"gst-inspect-1.0", "twiliosrc"}, gst_tool_env(dir));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* word : {"location", "track", "inbound", "outbound", "push-media", "push-dtmf", "push-mark",
                           "end-of-stream", "audio/x-mulaw"})
    EXPECT_NE(r.out.find(word), std::string::npos) << word;
  auto sink = spawn({"gst-inspect-1.0", "twiliosink"}, gst_tool_env(dir));
  ASSERT_EQ(sink.exit_code, 0) << sink.err;
  for (const char* word : {"stream-sid", "location", "outbound-message"})
    EXPECT_NE(sink.out.find(word), std::string::npos) << word;
}

TEST_F(TwilioSrc, DecodesAll256MulawValuesExactlyAsG711) {
  std::vector<std::uint8_t> all(256);
  std::iota(all.begin(), all.end(), 0);
  const auto capture = dir / "all.jsonl";
  write_file(capture, tw::build_capture(all, {}));
  Captured out;
  RunResult r;
  run_pipeline("twiliosrc location=" + capture.string() + " ! mulawdec ! audio/x-raw,format=S16LE ! fakesink name=tap",
               &out, r);
  ASSERT_TRUE(r.eos) << r.error;
  const auto samples = as_s16(out.bytes);
  ASSERT_EQ(samples.size(), 256u);
  for (int i = 0; i < 256; ++i) EXPECT_EQ(samples[i], kG711MulawTable[i]) << "mu-law byte " << i;
}

TEST_F(TwilioSrc, ResampledToneKeepsLevelAndFrequency) {
  const auto mulaw = tone_mulaw(dir, 1000);
  ASSERT_EQ(mulaw.size(), 8000u);
  const auto capture = dir / "tone.jsonl";
  write_file(capture, tw::build_capture(mulaw, {}));
  Captured out;
  RunResult r;
  run_pipeline("twiliosrc location=" + capture.string() +
                   " ! mulawdec ! audioresample ! audio/x-raw,rate=16000,format=S16LE,channels=1 ! fakesink name=tap",
               &out, r);
  ASSERT_TRUE(r.eos) << r.error;
  const auto s = as_s16(out.bytes);
  ASSERT_NEAR(static_cast<double>(s.size()), 16000.0, 64.0);
  // Skip the resampler's edges: 50 ms each side.
  double sum = 0;
  int crossings = 0;
  const std::size_t from = 800, to = s.size() - 800;
  for (std::size_t i = from; i < to; ++i) {
    sum += double(s[i]) * s[i];
    if ((s[i - 1] < 0) != (s[i] < 0)) ++crossings;
  }
  const double rms = std::sqrt(sum / double(to - from));
  const double expected_rms = 0.5 * 32767 / std::sqrt(2.0);
  EXPECT_NEAR(rms, expected_rms, expected_rms * 0.05);
  const double seconds = double(to - from) / 16000.0;
  const double hz = crossings / 2.0 / seconds;
  EXPECT_NEAR(hz, 1000.0, 10.0);
}

TEST_F(TwilioSrc, GapIsFilledWithSilenceSoTimeStaysTrue) {
  // Frames every 20 ms from 100 ms to 980 ms, with 400..580 ms (200 ms) missing.
  std::vector<std::pair<std::uint64_t, std::vector<std::uint8_t>>> frames;
  for (std::uint64_t ts = 100; ts <= 980; ts += 20)
    if (ts < 400 || ts >= 600) frames.push_back({ts, frame(160, 0x10)});
  const auto capture = dir / "gap.jsonl";
  write_file(capture, capture_lines(frames));
  Captured out;
  RunResult r;
  run_pipeline("twiliosrc location=" + capture.string() + " ! fakesink name=tap", &out, r);
  ASSERT_TRUE(r.eos) << r.error;
  // Duration = last timestamp + one frame, from stream start.
  ASSERT_EQ(out.bytes.size(), (980u + 20u) * 8u);
  for (std::size_t i = 0; i < out.bytes.size(); ++i) {
    const std::uint64_t ms = i / 8;
    const bool silence = ms < 100 || (ms >= 400 && ms < 600);
    ASSERT_EQ(out.bytes[i], silence ? 0xFF : 0x10) << "at " << ms << " ms";
  }
  // Timestamps are contiguous and end at 1000 ms.
  for (std::size_t i = 1; i < out.pts.size(); ++i) ASSERT_EQ(out.pts[i], out.pts[i - 1] + out.duration[i - 1]);
  EXPECT_EQ(out.pts.front(), 0u);
  EXPECT_EQ(out.pts.back() + out.duration.back(), 1000 * GST_MSECOND);
}

TEST_F(TwilioSrc, OverlappingAndBackwardTimestampsNeverRunTimeBackwards) {
  const std::vector<std::pair<std::uint64_t, std::vector<std::uint8_t>>> frames = {
      {0, frame(160, 0x01)},
      {20, frame(160, 0x02)},
      {30, frame(160, 0x03)},   // overlaps the previous frame by 10 ms: its first 80 bytes go
      {10, frame(160, 0x04)},   // entirely in the past: dropped
      {50, frame(160, 0x05)},   // contiguous again
      {70, frame(161, 0x06)},   // odd sizes: within the 1 ms timestamp resolution is contiguous
      {90, frame(160, 0x07)},
  };
  const auto capture = dir / "overlap.jsonl";
  write_file(capture, capture_lines(frames));
  Captured out;
  RunResult r;
  run_pipeline("twiliosrc location=" + capture.string() + " ! fakesink name=tap", &out, r);
  ASSERT_TRUE(r.eos) << r.error;
  std::vector<std::uint8_t> expected;
  for (auto [n, v] : std::vector<std::pair<int, std::uint8_t>>{{160, 1}, {160, 2}, {80, 3}, {160, 5}, {161, 6}, {160, 7}})
    expected.insert(expected.end(), n, v);
  EXPECT_EQ(out.bytes, expected);
  for (std::size_t i = 1; i < out.pts.size(); ++i) EXPECT_GT(out.pts[i], out.pts[i - 1]);
}

TEST_F(TwilioSrc, MalformedLinesAreSkippedWithTheirLineNumber) {
  std::string text = tw::encode_connected() + "\n";                                           // line 1
  text += tw::encode_inbound_media(2, "MZ", "inbound", 1, 0, frame(160, 0x11)) + "\n";      // line 2
  text += "this is not json\n";                                                              // line 3
  text += R"({"event":"media","media":{"timestamp":"20","payload":"@@@@"}})" "\n";         // line 4
  text += "\n";                                                                              // line 5 (blank)
  text += R"({"event":"media","media":{"payload":"AAAA"}})" "\n";                          // line 6
  text += tw::encode_inbound_media(5, "MZ", "inbound", 2, 20, frame(160, 0x22)) + "\n";     // line 7
  const auto capture = dir / "bad.jsonl";
  write_file(capture, text);
  Captured out;
  RunResult r;
  run_pipeline("twiliosrc location=" + capture.string() + " ! fakesink name=tap", &out, r);
  ASSERT_TRUE(r.eos) << r.error;
  ASSERT_EQ(r.warnings.size(), 3u);
  EXPECT_NE(r.warnings[0].find("line 3"), std::string::npos) << r.warnings[0];
  EXPECT_NE(r.warnings[1].find("line 4"), std::string::npos) << r.warnings[1];
  EXPECT_NE(r.warnings[1].find("base64"), std::string::npos) << r.warnings[1];
  EXPECT_NE(r.warnings[2].find("line 6"), std::string::npos) << r.warnings[2];
  std::vector<std::uint8_t> expected = frame(160, 0x11);
  expected.insert(expected.end(), 160, 0x22);
  EXPECT_EQ(out.bytes, expected);
}

TEST_F(TwilioSrc, DtmfAndMarksArePostedForTheMatchingTrack) {
  std::string text = capture_lines({{0, frame(160, 0x11)}});
  text += tw::encode_dtmf(10, "MZtest", "5") + "\n";
  text += tw::encode_inbound_mark(11, "MZtest", "utt-1") + "\n";
  const auto capture = dir / "events.jsonl";
  write_file(capture, text);

  RunResult inbound;
  run_pipeline("twiliosrc location=" + capture.string() + " ! fakesink", nullptr, inbound);
  // The stop line comes before the dtmf: the stream ended there.
  EXPECT_EQ(inbound.find("twilio-dtmf"), nullptr);

  // Now with the dtmf and mark before the stop.
  text = tw::encode_connected() + "\n" + tw::encode_dtmf(2, "MZtest", "5") + "\n" +
         tw::encode_inbound_mark(3, "MZtest", "utt-1") + "\n" + tw::encode_stop(4, "MZtest", "AC", "CA") + "\n";
  write_file(capture, text);
  RunResult r;
  run_pipeline("twiliosrc location=" + capture.string() + " ! fakesink", nullptr, r);
  ASSERT_TRUE(r.eos) << r.error;
  const GstStructure* dtmf = r.find("twilio-dtmf");
  ASSERT_NE(dtmf, nullptr);
  EXPECT_STREQ(gst_structure_get_string(dtmf, "digit"), "5");
  EXPECT_STREQ(gst_structure_get_string(dtmf, "track"), "inbound");
  const GstStructure* mark = r.find("twilio-mark");
  ASSERT_NE(mark, nullptr);
  EXPECT_STREQ(gst_structure_get_string(mark, "name"), "utt-1");

  RunResult outbound;
  run_pipeline("twiliosrc track=outbound location=" + capture.string() + " ! fakesink", nullptr, outbound);
  ASSERT_TRUE(outbound.eos) << outbound.error;
  EXPECT_EQ(outbound.find("twilio-dtmf"), nullptr);
  EXPECT_EQ(outbound.find("twilio-mark"), nullptr);
}

TEST_F(TwilioSrc, OutboundTrackSourceEmitsOnlyOutboundMedia) {
  std::string text = tw::encode_connected() + "\n";
  text += tw::encode_inbound_media(2, "MZ", "inbound", 1, 0, frame(160, 0x11)) + "\n";
  text += tw::encode_inbound_media(3, "MZ", "outbound", 1, 0, frame(160, 0x22)) + "\n";
  text += tw::encode_inbound_media(4, "MZ", "inbound", 2, 20, frame(160, 0x33)) + "\n";
  const auto capture = dir / "both.jsonl";
  write_file(capture, text);
  Captured in_bytes, out_bytes;
  RunResult r1, r2;
  run_pipeline("twiliosrc location=" + capture.string() + " ! fakesink name=tap", &in_bytes, r1);
  run_pipeline("twiliosrc track=outbound location=" + capture.string() + " ! fakesink name=tap", &out_bytes, r2);
  ASSERT_TRUE(r1.eos && r2.eos);
  std::vector<std::uint8_t> expected = frame(160, 0x11);
  expected.insert(expected.end(), 160, 0x33);
  EXPECT_EQ(in_bytes.bytes, expected);
  EXPECT_EQ(out_bytes.bytes, frame(160, 0x22));
}

TEST_F(TwilioSrc, MissingCaptureFileIsAClearError) {
  RunResult r;
  run_pipeline("twiliosrc location=" + (dir / "nope.jsonl").string() + " ! fakesink", nullptr, r);
  EXPECT_FALSE(r.eos);
  EXPECT_NE(r.error.find("nope.jsonl"), std::string::npos) << r.error;
}
