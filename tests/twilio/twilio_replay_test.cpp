// Replays of a capture: the same pipeline spawned with gst-launch-1.0 and built in-process
// writes the same samples; the wav2capture tool turns a WAV into a capture that replays to
// the WAV's own audio.
#include <mediaflow/gstutil/audio_file.hpp>

#include <sstream>

#include "twilio/twilio_test_util.hpp"

using namespace mediaflow::test::twilio_util;
namespace tw = mediaflow::protocol::twilio;

namespace {

class TwilioReplay : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { init_gst_with_plugins(); }
  TempDir dir;

  // A 440 Hz tone WAV at 44.1 kHz stereo, so conversion has real work to do.
  std::filesystem::path make_wav(int ms) {
    const auto wav = dir / "in.wav";
    RunResult r;
    run_pipeline("audiotestsrc wave=sine freq=440 volume=0.3 samplesperbuffer=441 num-buffers=" + std::to_string(ms / 10) +
                     " ! audio/x-raw,rate=44100,channels=2,format=S16LE ! wavenc ! filesink location=" + wav.string(),
                 nullptr, r);
    EXPECT_TRUE(r.eos) << r.error;
    return wav;
  }
};

std::string replay_launch(const std::filesystem::path& capture, const std::filesystem::path& out) {
  return "twiliosrc location=" + capture.string() +
         " ! mulawdec ! audioresample ! audio/x-raw,rate=16000 ! wavenc ! filesink location=" + out.string();
}

}  // namespace

TEST_F(TwilioReplay, GstLaunchWritesTheSameSamplesAsTheInProcessPipeline) {
  std::vector<std::uint8_t> mulaw;
  std::string error;
  ASSERT_TRUE(mediaflow::gstutil::decode_file_to_mulaw(make_wav(500), mulaw, error)) << error;
  const auto capture = dir / "call.jsonl";
  write_file(capture, tw::build_capture(mulaw, {}));

  const auto spawned_wav = dir / "spawned.wav";
  std::vector<std::string> argv = {"gst-launch-1.0", "-q"};
  gchar** parts = g_strsplit(replay_launch(capture, spawned_wav).c_str(), " ", -1);
  for (gchar** p = parts; *p; ++p) argv.emplace_back(*p);
  g_strfreev(parts);
  auto r = spawn(argv, gst_tool_env(dir));
  ASSERT_EQ(r.exit_code, 0) << r.err;

  const auto inproc_wav = dir / "inproc.wav";
  RunResult run;
  run_pipeline(replay_launch(capture, inproc_wav), nullptr, run);
  ASSERT_TRUE(run.eos) << run.error;

  const std::string spawned = read_file(spawned_wav), inproc = read_file(inproc_wav);
  ASSERT_GT(inproc.size(), 44u + 2u * 16000u * 45u / 100u);  // ~0.5 s of 16 kHz S16 after the header
  EXPECT_EQ(spawned, inproc);
}

TEST_F(TwilioReplay, Wav2CaptureToolWritesACaptureThatReplaysToTheSameAudio) {
  const auto wav = make_wav(300);
  const auto capture = dir / "tool.jsonl";
  const auto tool = (mediaflow::test::build_dir() / "tools" / "wav2capture").string();
  auto r = spawn({tool, wav.string(), capture.string(), "--stream-sid", "MZtool", "--call-sid", "CAtool", "--frame-ms", "40"});
  ASSERT_EQ(r.exit_code, 0) << r.err;

  // Shape: connected, start with our ids, media of 40 ms (320 bytes), stop.
  tw::TwilioEnvelopeParser parser;
  std::istringstream lines(read_file(capture));
  std::vector<tw::EventKind> kinds;
  std::size_t media_bytes = 0;
  for (std::string line; std::getline(lines, line);) {
    auto m = parser.parse(line);
    kinds.push_back(m.kind);
    if (m.kind == tw::EventKind::kStart) {
      EXPECT_EQ(m.start.stream_sid, "MZtool");
      EXPECT_EQ(m.start.call_sid, "CAtool");
    }
    if (m.kind == tw::EventKind::kMedia) {
      EXPECT_EQ(m.media.timestamp_ms, media_bytes / 8);
      std::vector<std::uint8_t> buf(tw::base64_decoded_max(m.media.payload_base64.size()));
      auto n = tw::decode_base64(m.media.payload_base64, buf);
      ASSERT_TRUE(n);
      EXPECT_LE(*n, 320u);
      media_bytes += *n;
    }
  }
  ASSERT_GE(kinds.size(), 4u);
  EXPECT_EQ(kinds.front(), tw::EventKind::kConnected);
  EXPECT_EQ(kinds[1], tw::EventKind::kStart);
  EXPECT_EQ(kinds.back(), tw::EventKind::kStop);
  EXPECT_EQ(media_bytes, 8u * 300u);

  // Replayed, it is exactly the WAV's audio as mu-law.
  std::vector<std::uint8_t> expected;
  std::string error;
  ASSERT_TRUE(mediaflow::gstutil::decode_file_to_mulaw(wav, expected, error)) << error;
  Captured out;
  RunResult run;
  run_pipeline("twiliosrc location=" + capture.string() + " ! fakesink name=tap", &out, run);
  ASSERT_TRUE(run.eos) << run.error;
  EXPECT_EQ(out.bytes, expected);
}

TEST_F(TwilioReplay, Wav2CaptureRejectsBadInputClearly) {
  const auto tool = (mediaflow::test::build_dir() / "tools" / "wav2capture").string();
  auto missing = spawn({tool, (dir / "nope.wav").string(), (dir / "out.jsonl").string()});
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.err.find("nope.wav"), std::string::npos) << missing.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "out.jsonl"));

  write_file(dir / "text.wav", "this is not audio at all");
  auto garbage = spawn({tool, (dir / "text.wav").string(), (dir / "out.jsonl").string()});
  EXPECT_NE(garbage.exit_code, 0);
  EXPECT_NE(garbage.err.find("text.wav"), std::string::npos) << garbage.err;

  auto bad_frame = spawn({tool, "a.wav", "b.jsonl", "--frame-ms", "0"});
  EXPECT_EQ(bad_frame.exit_code, 2);
  EXPECT_NE(bad_frame.err.find("--frame-ms"), std::string::npos);
}

TEST_F(TwilioReplay, MediaflowRunReplayPipelineMatchesGstLaunchLine) {
  std::vector<std::uint8_t> mulaw;
  std::string error;
  ASSERT_TRUE(mediaflow::gstutil::decode_file_to_mulaw(make_wav(400), mulaw, error)) << error;
  const auto capture = dir / "call.jsonl";
  write_file(capture, tw::build_capture(mulaw, {}));

  const auto run_wav = dir / "run.wav";
  auto r = spawn({mediaflow::test::mediaflow_binary().string(), "run",
                  (mediaflow::test::source_dir() / "pipelines" / "replay.json").string(), "--set",
                  "param.capture=" + capture.string(), "--set", "param.out=" + run_wav.string()},
                 {"PLUGIN_DIR=" + mediaflow::test::plugin_dir().string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;

  const auto inproc_wav = dir / "inproc.wav";
  RunResult run;
  run_pipeline(replay_launch(capture, inproc_wav), nullptr, run);
  ASSERT_TRUE(run.eos) << run.error;
  const std::string via_run = read_file(run_wav), inproc = read_file(inproc_wav);
  ASSERT_GT(inproc.size(), 44u + 2u * 16000u * 35u / 100u);
  EXPECT_EQ(via_run, inproc);
}
