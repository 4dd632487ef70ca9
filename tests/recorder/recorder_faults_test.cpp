// Disk full and crashes: real filesystems, real processes.
#include "support/spawn.hpp"
#include "recorder/recorder_test_util.hpp"

#include <mediaflow/protocol/recording_manifest.hpp>
#include <mediaflow/protocol/recording_io.hpp>
#include <mediaflow/recording_recovery.hpp>

#include <fcntl.h>

#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <thread>

namespace mediaflow::test::recorder {
namespace {

// Starts gst-launch-1.0 with our plugins; `file_limit` > 0 sets RLIMIT_FSIZE (with SIGXFSZ
// ignored, so a write past it fails with EFBIG, as on a full disk). stdout+stderr → `log`.
pid_t spawn_gst_launch(const std::string& line, const fs::path& log, rlim_t file_limit = 0) {
  const std::string preload = mediaflow::test::sanitizer_preload();
  const pid_t pid = fork();
  if (pid != 0) return pid;
  setenv("GST_PLUGIN_PATH", mediaflow::test::plugin_dir().c_str(), 1);
  if (!preload.empty()) setenv("LD_PRELOAD", preload.c_str(), 1);
  const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  dup2(fd, 1);
  dup2(fd, 2);
  if (file_limit) {
    std::signal(SIGXFSZ, SIG_IGN);
    rlimit rl{file_limit, file_limit};
    setrlimit(RLIMIT_FSIZE, &rl);
  }
  execl("/bin/sh", "sh", "-c", ("exec gst-launch-1.0 -m " + line).c_str(), static_cast<char*>(nullptr));
  _exit(127);
}

int wait_exit(pid_t pid) {
  int status = 0;
  for (int i = 0; i < 3000; ++i) {  // 30 s guard against a hang
    if (waitpid(pid, &status, WNOHANG) == pid) return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  ADD_FAILURE() << "child did not finish";
  return -1;
}

void expect_playable_partial(const fs::path& wav) {
  const Wav w = read_wav(wav);  // header sizes == what is on disk, whole frames
  EXPECT_GT(w.frames(), 0u);
  EXPECT_EQ(w.info.format.channels, 2);
}

TEST(RecorderFaults, FullDiskViaFileSizeLimitWarnsKeepsPlayablePartAndReachesEos) {
  TempDir tmp;
  const fs::path root = tmp.path / "rec", log = tmp.path / "log.txt";
  // 10 s stereo at 16 kHz is 640 KB; the disk "fills" at 100 KB.
  const pid_t pid = spawn_gst_launch(
      "audiotestsrc num-buffers=100 samplesperbuffer=1600 ! audio/x-raw,rate=16000,channels=1 ! "
      "callrecorder call-sid=CA5 recording-id=r5 root=" + root.string(),
      log, 100 * 1024);
  ASSERT_GT(pid, 0);
  EXPECT_EQ(wait_exit(pid), 0);  // gst-launch exits 0 after EOS, non-zero on an error
  const std::string out = slurp(log);
  EXPECT_NE(out.find("Got EOS from element"), std::string::npos) << out;
  EXPECT_NE(out.find("WARNING: from element"), std::string::npos) << out;
  EXPECT_NE(out.find("recording-failed"), std::string::npos) << out;
  EXPECT_NE(out.find("write-failed"), std::string::npos) << out;
  EXPECT_EQ(out.find("ERROR"), std::string::npos) << out;
  const fs::path wav = root / "org/unassigned/recordings/CA5/r5.wav";
  ASSERT_TRUE(fs::exists(wav));
  EXPECT_LE(fs::file_size(wav), 100u * 1024);
  expect_playable_partial(wav);
}

TEST(RecorderFaults, FullTmpfsWarnsKeepsPlayablePartAndReachesEos) {
  TempDir tmp;
  const fs::path mnt = tmp.path / "tiny";
  fs::create_directories(mnt);
  if (::mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=64k") != 0)
    GTEST_SKIP() << "cannot mount a tmpfs here (" << std::strerror(errno) << "); the file-size-limit test covers ENOSPC-like failures";
  {
    gst_init(nullptr, nullptr);
    mediaflow::load_plugins(mediaflow::test::plugin_dir());
    GError* err = nullptr;
    GstElement* p = gst_parse_launch(("audiotestsrc num-buffers=100 samplesperbuffer=1600 ! "
                                      "audio/x-raw,rate=16000,channels=1 ! callrecorder call-sid=CA6 recording-id=r6 root=" +
                                      mnt.string()).c_str(), &err);
    ASSERT_TRUE(p) << err->message;
    BusLog bus;
    run_to_eos(p, bus);
    gst_object_unref(p);
    EXPECT_TRUE(bus.eos);
    EXPECT_TRUE(bus.error.empty()) << bus.error;
    EXPECT_FALSE(bus.warnings.empty());
    const GstStructure* failed = bus.find("recording-failed");
    EXPECT_NE(failed, nullptr);
    if (failed) {
      EXPECT_STREQ(gst_structure_get_string(failed, "reason"), "write-failed");
      EXPECT_STREQ(gst_structure_get_string(failed, "detail"), std::strerror(ENOSPC));
      const fs::path kept = gst_structure_get_string(failed, "location");
      ASSERT_TRUE(fs::exists(kept));
      expect_playable_partial(kept);
    }
  }
  ::umount2(mnt.c_str(), MNT_DETACH);
}

TEST(RecorderFaults, SigkillMidRecordingIsRecoveredWithTheAudioWritten) {
  TempDir tmp;
  const fs::path root = tmp.path / "rec", log = tmp.path / "log.txt";
  const pid_t pid = spawn_gst_launch(
      "audiotestsrc is-live=true samplesperbuffer=320 ! audio/x-raw,rate=16000,channels=1 ! "
      "callrecorder call-sid=CA7 organization-id=acme recording-id=r7 pipeline-name=live root=" + root.string(),
      log);
  ASSERT_GT(pid, 0);
  const fs::path dir = root / "org/acme/recordings/CA7";
  // The clock starts once the file exists (process start-up time is not recording time).
  for (int i = 0; i < 1000 && !fs::exists(dir / "r7.wav.part"); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_TRUE(fs::exists(dir / "r7.wav.part")) << slurp(log);
  const auto started = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  kill(pid, SIGKILL);
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));
  ASSERT_TRUE(fs::exists(dir / "r7.json.part"));
  ASSERT_FALSE(fs::exists(dir / "r7.wav"));

  const auto report = mediaflow::recover_recordings(root);
  ASSERT_TRUE(report.failures.empty()) << report.failures.front().reason;
  ASSERT_EQ(report.recovered.size(), 1u);
  EXPECT_TRUE(report.recovered[0].had_sidecar);
  const fs::path wav = dir / "r7.wav";
  const Wav w = read_wav(wav);
  EXPECT_GE(w.seconds(), elapsed - 1.0);
  EXPECT_LE(w.seconds(), elapsed + 1.0);

  // An independent reader agrees.
  if (::system("command -v soxi >/dev/null 2>&1") == 0) {
    const fs::path soxi_out = tmp.path / "soxi.txt";
    ASSERT_EQ(::system(("soxi -D " + wav.string() + " > " + soxi_out.string()).c_str()), 0);
    EXPECT_NEAR(std::stod(slurp(soxi_out)), w.seconds(), 0.01);
  }
  auto m = protocol::manifest_from_json(slurp(dir / "r7.json"));
  ASSERT_TRUE(m);
  EXPECT_TRUE(m->recovered);
  EXPECT_EQ(m->call_sid, "CA7");
  EXPECT_EQ(m->organization_id, "acme");
  EXPECT_EQ(m->pipeline, "live");
  EXPECT_NEAR(m->duration_seconds, w.seconds(), 1e-9);
  EXPECT_EQ(m->sha256, *protocol::sha256_file(wav));
  EXPECT_FALSE(fs::exists(dir / "r7.json.part"));
}

}  // namespace
}  // namespace mediaflow::test::recorder
