#include "recorder/recorder_test_util.hpp"

#include <mediaflow/protocol/recording_io.hpp>
#include <mediaflow/protocol/recording_manifest.hpp>
#include <mediaflow/recording_recovery.hpp>

#include <cstdio>

namespace mediaflow::test::recorder {
namespace {

// What a crash leaves: a .part whose header still says 0 bytes, a torn last frame, and the
// sidecar written at the start.
void write_crashed_recording(const fs::path& dir, const std::string& id, std::size_t frames, bool sidecar) {
  fs::create_directories(dir);
  const auto header = protocol::make_wav_header({2, 8000, 16}, 0);
  std::ofstream out(dir / (id + ".wav.part"), std::ios::binary);
  out.write(reinterpret_cast<const char*>(header.data()), header.size());
  for (std::size_t i = 0; i < frames * 2; ++i) {
    const std::int16_t s = static_cast<std::int16_t>(i);
    out.write(reinterpret_cast<const char*>(&s), 2);
  }
  out.write("\x01\x02\x03", 3);  // torn frame
  if (sidecar) {
    protocol::RecordingManifest m;
    m.recording_id = id;
    m.call_sid = "CA0123456789";
    m.organization_id = "acme";
    m.pipeline = "default";
    m.sample_rate = 8000;
    m.started_at = "2024-05-01T12:00:00.000Z";
    std::ofstream(dir / (id + ".json.part")) << protocol::manifest_to_json(m);
  }
}

std::string run_cli(const std::string& args, int* code) {
  const std::string cmd = mediaflow::test::mediaflow_binary().string() + " recover " + args + " 2>&1";
  FILE* f = ::popen(cmd.c_str(), "r");
  std::string out;
  char buf[512];
  while (f && std::fgets(buf, sizeof buf, f)) out += buf;
  const int status = f ? ::pclose(f) : -1;
  *code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

TEST(RecorderRecovery, FixesHeaderCutsTornFrameAndWritesManifestFromSidecar) {
  TempDir tmp;
  const fs::path dir = tmp.path / "org/acme/recordings/CA0123456789";
  write_crashed_recording(dir, "r1", 4000, true);
  const auto report = mediaflow::recover_recordings(tmp.path);
  ASSERT_TRUE(report.failures.empty()) << report.failures[0].reason;
  ASSERT_EQ(report.recovered.size(), 1u);
  const Wav w = read_wav(dir / "r1.wav");
  EXPECT_EQ(w.frames(), 4000u);
  EXPECT_EQ(w.at(3999, 1), static_cast<std::int16_t>(7999));
  auto m = protocol::manifest_from_json(slurp(dir / "r1.json"));
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->recovered);
  EXPECT_EQ(m->call_sid, "CA0123456789");
  EXPECT_EQ(m->started_at, "2024-05-01T12:00:00.000Z");
  EXPECT_DOUBLE_EQ(m->duration_seconds, 0.5);
  EXPECT_EQ(m->bytes, fs::file_size(dir / "r1.wav"));
  EXPECT_EQ(m->sha256, *protocol::sha256_file(dir / "r1.wav"));
  EXPECT_FALSE(fs::exists(dir / "r1.wav.part"));
  EXPECT_FALSE(fs::exists(dir / "r1.json.part"));
  // Idempotent: a second run finds nothing.
  const auto again = mediaflow::recover_recordings(tmp.path);
  EXPECT_TRUE(again.recovered.empty());
  EXPECT_TRUE(again.failures.empty());
}

TEST(RecorderRecovery, WithoutSidecarTheFileIsStillRecovered) {
  TempDir tmp;
  write_crashed_recording(tmp.path / "x", "orphan", 800, false);
  const auto report = mediaflow::recover_recordings(tmp.path);
  ASSERT_EQ(report.recovered.size(), 1u);
  EXPECT_FALSE(report.recovered[0].had_sidecar);
  auto m = protocol::manifest_from_json(slurp(tmp.path / "x/orphan.json"));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->recording_id, "orphan");
  EXPECT_EQ(m->sample_rate, 8000u);  // from the file's own header
  EXPECT_DOUBLE_EQ(m->duration_seconds, 0.1);
}

// Found by the recording_recovery fuzzer: a sidecar claiming zero channels, with a .part the
// crash cut before its header, made `mediaflow recover` divide by a zero frame size (SIGFPE).
TEST(RecorderRecovery, ASidecarWithoutAudioFormatIsReportedNotACrash) {
  TempDir tmp;
  const fs::path dir = tmp.path / "z";
  fs::create_directories(dir);
  std::ofstream(dir / "r0.json.part") << R"({"recording_id":"r0","channels":0,"sample_rate":8000})";
  std::ofstream(dir / "r0.wav.part") << "RIFF";
  const auto report = mediaflow::recover_recordings(tmp.path);
  EXPECT_TRUE(report.recovered.empty());
  ASSERT_EQ(report.failures.size(), 1u);
  EXPECT_NE(report.failures[0].reason.find("unreadable sidecar"), std::string::npos) << report.failures[0].reason;
  EXPECT_EQ(slurp(dir / "r0.wav.part"), "RIFF");  // left as it was
}

TEST(RecorderRecovery, CliRecoversReportsAndFailsOnGarbageWithoutTouchingIt) {
  TempDir tmp;
  write_crashed_recording(tmp.path / "a", "good", 1600, true);
  int code = -1;
  std::string out = run_cli(tmp.path.string(), &code);
  EXPECT_EQ(code, 0) << out;
  EXPECT_NE(out.find("recovered good: 0.20 s"), std::string::npos) << out;
  EXPECT_EQ(out.find("CA0123456789"), std::string::npos) << "full call SID printed: " << out;
  EXPECT_TRUE(fs::exists(tmp.path / "a/good.wav"));

  out = run_cli(tmp.path.string(), &code);
  EXPECT_EQ(code, 0);
  EXPECT_NE(out.find("nothing to recover"), std::string::npos) << out;

  const std::string junk(100, 'J');
  std::ofstream(tmp.path / "a/bad.wav.part") << junk;
  out = run_cli(tmp.path.string(), &code);
  EXPECT_EQ(code, 1) << out;
  EXPECT_NE(out.find("mediaflow recover: bad.wav.part: unusable WAV header (not a RIFF file)"), std::string::npos) << out;
  EXPECT_EQ(slurp(tmp.path / "a/bad.wav.part"), junk);

  out = run_cli((tmp.path / "missing").string(), &code);
  EXPECT_EQ(code, 1) << out;
  out = run_cli("", &code);
  EXPECT_EQ(code, 2) << out;
}

}  // namespace
}  // namespace mediaflow::test::recorder
