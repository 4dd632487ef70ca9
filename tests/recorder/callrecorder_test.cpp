#include "recorder/recorder_test_util.hpp"
#include "support/heap_usage.hpp"

#include <mediaflow/protocol/recording_manifest.hpp>
#include <mediaflow/protocol/recording_path.hpp>

#include <cmath>

namespace mediaflow::test::recorder {
namespace {

constexpr int kRate = 16000;

std::string fresh_sha256(const fs::path& p) {
  const std::string bytes = slurp(p);
  gchar* hex = g_compute_checksum_for_data(G_CHECKSUM_SHA256, reinterpret_cast<const guchar*>(bytes.data()),
                                           bytes.size());
  std::string out(hex);
  g_free(hex);
  return out;
}

// First frame whose |sample| in `channel` exceeds a threshold; -1 if none.
long first_loud_frame(const Wav& w, int channel) {
  for (std::size_t f = 0; f < w.frames(); ++f)
    if (std::abs(w.at(f, channel)) > 1000) return static_cast<long>(f);
  return -1;
}

// Pushes `seconds` of audio in 20 ms buffers with explicit PTS; tone (1 kHz, loud) where
// `tone(t)` says so, silence elsewhere.
template <typename ToneFn>
void push_track(GstElement* appsrc, double from_s, double to_s, ToneFn tone, int rate = kRate) {
  const int per_buffer = rate / 50;
  for (long start = std::lround(from_s * rate); start < std::lround(to_s * rate); start += per_buffer) {
    GstBuffer* b = gst_buffer_new_allocate(nullptr, per_buffer * 2, nullptr);
    GstMapInfo map;
    gst_buffer_map(b, &map, GST_MAP_WRITE);
    auto* s = reinterpret_cast<std::int16_t*>(map.data);
    for (int i = 0; i < per_buffer; ++i) {
      const double t = double(start + i) / rate;
      s[i] = tone(t) ? static_cast<std::int16_t>(12000 * std::sin(2 * M_PI * 1000 * t)) : 0;
    }
    gst_buffer_unmap(b, &map);
    GST_BUFFER_PTS(b) = gst_util_uint64_scale(start, GST_SECOND, rate);
    GST_BUFFER_DURATION(b) = gst_util_uint64_scale(per_buffer, GST_SECOND, rate);
    // Signals, not gst_app_src_*: the test binary does not link gstreamer-app.
    GstFlowReturn ret = GST_FLOW_ERROR;
    g_signal_emit_by_name(appsrc, "push-buffer", b, &ret);
    gst_buffer_unref(b);
    ASSERT_EQ(ret, GST_FLOW_OK);
  }
}

void end_of_stream(GstElement* appsrc) {
  GstFlowReturn ret;
  g_signal_emit_by_name(appsrc, "end-of-stream", &ret);
}
guint64 level_bytes(GstElement* appsrc) {
  guint64 v = 0;
  g_object_get(appsrc, "current-level-bytes", &v, nullptr);
  return v;
}

const std::string kAppCaps = "caps=audio/x-raw,format=S16LE,channels=1,layout=interleaved,rate=16000 "
                             "format=time max-bytes=0 block=false";

TEST_F(RecorderPipelineTest, TenSecondsWithUnlinkedAgentGiveTenSecondsAndSilentRightChannel) {
  const fs::path root = tmp.path / "rec";
  GstElement* p = launch(
      "audiotestsrc is-live=false num-buffers=100 samplesperbuffer=1600 volume=0.5 ! "
      "audio/x-raw,format=S16LE,rate=16000,channels=1 ! "
      "callrecorder name=rec root=" + root.string() +
      " organization-id=org1 call-sid=CA1 stream-sid=MZ1 recording-id=r1 pipeline-name=default");
  ASSERT_TRUE(p);
  BusLog log;
  run_to_eos(p, log);
  gst_object_unref(p);
  EXPECT_TRUE(log.eos);
  EXPECT_TRUE(log.warnings.empty()) << log.warnings.front();

  const fs::path wav_path = root / "org/org1/recordings/CA1/r1.wav";
  const fs::path manifest_path = root / "org/org1/recordings/CA1/r1.json";
  ASSERT_TRUE(fs::exists(wav_path));
  const Wav w = read_wav(wav_path);
  EXPECT_EQ(w.info.format.channels, 2);
  EXPECT_EQ(w.info.format.sample_rate, 16000u);
  EXPECT_NEAR(w.seconds(), 10.00, 0.02);
  long loud_left = 0, loud_right = 0;
  for (std::size_t f = 0; f < w.frames(); ++f) {
    loud_left += w.at(f, 0) != 0;
    loud_right += w.at(f, 1) != 0;
  }
  EXPECT_GT(loud_left, static_cast<long>(w.frames() / 2));
  EXPECT_EQ(loud_right, 0);

  // Nothing half-done left behind.
  EXPECT_TRUE(files_ending(root, ".part").empty());
  EXPECT_TRUE(files_ending(root, ".tmp").empty());

  std::string why;
  auto m = protocol::manifest_from_json(slurp(manifest_path), &why);
  ASSERT_TRUE(m) << why;
  EXPECT_EQ(m->sha256, fresh_sha256(wav_path));
  EXPECT_EQ(m->bytes, fs::file_size(wav_path));
  EXPECT_NEAR(m->duration_seconds, double(w.frames()) / 16000, 1e-9);
  EXPECT_EQ(m->call_sid, "CA1");
  EXPECT_EQ(m->stream_sid, "MZ1");
  EXPECT_EQ(m->organization_id, "org1");
  EXPECT_EQ(m->pipeline, "default");
  EXPECT_EQ(m->sample_rate, 16000u);
  EXPECT_EQ(m->channels, 2);
  EXPECT_FALSE(m->recovered);
  EXPECT_EQ(m->started_at.size(), 24u);
  EXPECT_EQ(m->started_at.back(), 'Z');

  const GstStructure* done = log.find("recording-complete");
  ASSERT_NE(done, nullptr);
  EXPECT_STREQ(gst_structure_get_string(done, "sha256"), m->sha256.c_str());
  EXPECT_STREQ(gst_structure_get_string(done, "recording_id"), "r1");
  EXPECT_STREQ(gst_structure_get_string(done, "location"), wav_path.c_str());
  EXPECT_STREQ(gst_structure_get_string(done, "manifest"), manifest_path.c_str());
  double duration = 0;
  EXPECT_TRUE(gst_structure_get_double(done, "duration_seconds", &duration));
  EXPECT_DOUBLE_EQ(duration, m->duration_seconds);
  EXPECT_EQ(log.find("recording-failed"), nullptr);
}

// Caller tone at 2.00 s, agent tone at 5.00 s; the agent sends nothing before its tone.
void record_tones(RecorderPipelineTest* t, GstElement* p) {
  GstElement* caller = gst_bin_get_by_name(GST_BIN(p), "caller");
  GstElement* agent = gst_bin_get_by_name(GST_BIN(p), "agent");
  ASSERT_EQ(gst_element_set_state(p, GST_STATE_PAUSED), GST_STATE_CHANGE_SUCCESS);
  push_track(agent, 5.0, 6.0, [](double) { return true; });
  push_track(caller, 0.0, 8.0, [](double s) { return s >= 2.0 && s < 3.0; });
  end_of_stream(agent);
  end_of_stream(caller);
  gst_object_unref(caller);
  gst_object_unref(agent);
  (void)t;
}

TEST_F(RecorderPipelineTest, TonesLandAtTheirCallOffsetsInTheirChannels) {
  const fs::path root = tmp.path / "rec";
  GstElement* p = launch("appsrc name=caller " + kAppCaps + " ! rec.caller  appsrc name=agent " + kAppCaps +
                         " ! rec.agent  callrecorder name=rec call-sid=CA2 recording-id=r2 root=" + root.string());
  ASSERT_TRUE(p);
  record_tones(this, p);
  BusLog log;
  run_to_eos(p, log);
  gst_object_unref(p);
  ASSERT_TRUE(log.eos) << log.error;

  const Wav w = read_wav(root / "org/unassigned/recordings/CA2/r2.wav");
  EXPECT_NEAR(w.seconds(), 8.0, 0.02);
  EXPECT_NEAR(first_loud_frame(w, 0) / double(kRate), 2.00, 0.02);
  EXPECT_NEAR(first_loud_frame(w, 1) / double(kRate), 5.00, 0.02);
  // And nowhere else: the caller's tone ends at 3 s, the agent's at 6 s.
  for (std::size_t f = 3 * kRate + 320; f < w.frames(); ++f) ASSERT_LE(std::abs(w.at(f, 0)), 1000) << f;
  for (std::size_t f = 6 * kRate + 320; f < w.frames(); ++f) ASSERT_LE(std::abs(w.at(f, 1)), 1000) << f;
}

TEST_F(RecorderPipelineTest, PerTrackLayoutWritesTwoMonoFilesAlignedInTime) {
  const fs::path root = tmp.path / "rec";
  GstElement* p = launch("appsrc name=caller " + kAppCaps + " ! rec.caller  appsrc name=agent " + kAppCaps +
                         " ! rec.agent  callrecorder name=rec layout=per-track call-sid=CA3 recording-id=r3 root=" +
                         root.string());
  ASSERT_TRUE(p);
  record_tones(this, p);
  BusLog log;
  run_to_eos(p, log);
  gst_object_unref(p);
  ASSERT_TRUE(log.eos) << log.error;

  const fs::path dir = root / "org/unassigned/recordings/CA3";
  const Wav caller = read_wav(dir / "r3.caller.wav");
  const Wav agent = read_wav(dir / "r3.agent.wav");
  EXPECT_EQ(caller.info.format.channels, 1);
  EXPECT_EQ(caller.frames(), agent.frames());
  EXPECT_NEAR(first_loud_frame(caller, 0) / double(kRate), 2.00, 0.02);
  EXPECT_NEAR(first_loud_frame(agent, 0) / double(kRate), 5.00, 0.02);
  auto m = protocol::manifest_from_json(slurp(dir / "r3.json"));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->layout, "per-track");
  ASSERT_EQ(m->files.size(), 2u);
  EXPECT_EQ(m->files[1].file, "r3.agent.wav");
  EXPECT_EQ(m->files[1].sha256, fresh_sha256(dir / "r3.agent.wav"));
  EXPECT_EQ(m->bytes, fs::file_size(dir / "r3.caller.wav") + fs::file_size(dir / "r3.agent.wav"));
}

TEST_F(RecorderPipelineTest, HostileIdentifiersStayInsideTheRoot) {
  const fs::path root = tmp.path / "rec";
  GstElement* p = launch("audiotestsrc num-buffers=5 samplesperbuffer=1600 ! audio/x-raw,rate=16000,channels=1 ! "
                         "callrecorder name=rec root=" + root.string());
  ASSERT_TRUE(p);
  GstElement* rec = gst_bin_get_by_name(GST_BIN(p), "rec");
  const std::string big(10 * 1024, 'x');
  g_object_set(rec, "organization-id", "../../../etc", "call-sid", ("a/b\\c\x01\n../" + big).c_str(),
               "recording-id", "../☎️ évidence", nullptr);
  gst_object_unref(rec);
  BusLog log;
  run_to_eos(p, log);
  gst_object_unref(p);
  ASSERT_TRUE(log.eos);
  EXPECT_TRUE(log.warnings.empty());

  // Nothing outside the root was created; the recording is in there, cleaned, whole.
  std::vector<fs::path> top;
  for (const auto& e : fs::directory_iterator(tmp.path)) top.push_back(e.path());
  EXPECT_EQ(top, std::vector<fs::path>{root});
  const auto wavs = files_ending(root, ".wav");
  ASSERT_EQ(wavs.size(), 1u);
  EXPECT_TRUE(protocol::path_is_inside(root, wavs[0]));
  EXPECT_EQ(fs::relative(wavs[0], root).begin()->string(), "org");
  for (const auto& part : fs::relative(wavs[0], root)) EXPECT_LE(part.string().size(), 64u) << part;
  EXPECT_NEAR(read_wav(wavs[0]).seconds(), 0.5, 0.001);
  auto m = protocol::manifest_from_json(slurp(wavs[0].parent_path() / (wavs[0].stem().string() + ".json")));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->organization_id, "../../../etc");  // the manifest keeps the value as given
}

TEST_F(RecorderPipelineTest, UnwritableRootWarnsAndTheCallStillReachesEos) {
  // Tests may run as root, which ignores permissions: a root below a regular file fails
  // (ENOTDIR) for everyone.
  const fs::path blocker = tmp.path / "not-a-folder";
  std::ofstream(blocker) << "x";
  GstElement* p = launch("audiotestsrc num-buffers=20 samplesperbuffer=1600 ! audio/x-raw,rate=16000,channels=1 ! "
                         "callrecorder root=" + (blocker / "rec").string());
  ASSERT_TRUE(p);
  BusLog log;
  run_to_eos(p, log);
  gst_object_unref(p);
  EXPECT_TRUE(log.eos);
  EXPECT_TRUE(log.error.empty()) << log.error;
  ASSERT_EQ(log.warnings.size(), 1u);
  EXPECT_NE(log.warnings[0].find("Recording failed"), std::string::npos) << log.warnings[0];
  const GstStructure* failed = log.find("recording-failed");
  ASSERT_NE(failed, nullptr);
  EXPECT_STREQ(gst_structure_get_string(failed, "reason"), "open-failed");
  EXPECT_EQ(log.find("recording-complete"), nullptr);
}

TEST_F(RecorderPipelineTest, ExistingRecordingIsNeverOverwritten) {
  const fs::path root = tmp.path / "rec";
  const fs::path wav = root / "org/unassigned/recordings/CA9/same.wav";
  fs::create_directories(wav.parent_path());
  std::ofstream(wav) << "evidence";
  GstElement* p = launch("audiotestsrc num-buffers=5 ! audio/x-raw,rate=16000,channels=1 ! "
                         "callrecorder call-sid=CA9 recording-id=same root=" + root.string());
  BusLog log;
  run_to_eos(p, log);
  gst_object_unref(p);
  EXPECT_TRUE(log.eos);
  const GstStructure* failed = log.find("recording-failed");
  ASSERT_NE(failed, nullptr);
  EXPECT_STREQ(gst_structure_get_string(failed, "reason"), "exists");
  EXPECT_EQ(slurp(wav), "evidence");
}

TEST_F(RecorderPipelineTest, StoppingWithoutEosStillFinalisesTheRecording) {
  const fs::path root = tmp.path / "rec";
  GstElement* p = launch("appsrc name=caller " + kAppCaps + " ! callrecorder name=rec call-sid=CA4 recording-id=r4 root=" +
                         root.string());
  GstElement* caller = gst_bin_get_by_name(GST_BIN(p), "caller");
  ASSERT_NE(gst_element_set_state(p, GST_STATE_PLAYING), GST_STATE_CHANGE_FAILURE);
  push_track(caller, 0.0, 1.0, [](double) { return true; });
  // Wait until the recorder has consumed the data (appsrc queue drained), then hang up.
  for (int i = 0; i < 200 && level_bytes(caller) > 0; ++i) g_usleep(10000);
  g_usleep(50000);
  gst_object_unref(caller);
  gst_element_set_state(p, GST_STATE_NULL);
  gst_object_unref(p);

  const fs::path dir = root / "org/unassigned/recordings/CA4";
  ASSERT_TRUE(fs::exists(dir / "r4.wav"));
  EXPECT_NEAR(read_wav(dir / "r4.wav").seconds(), 1.0, 0.02);
  auto m = protocol::manifest_from_json(slurp(dir / "r4.json"));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->sha256, fresh_sha256(dir / "r4.wav"));
  EXPECT_TRUE(files_ending(root, ".part").empty());
}

// What the writer stages for a caller ahead of a silent agent is freed once it is on disk:
// 5 s of 8 kHz caller audio arrive at once (agent unlinked), wait out the late window, are
// written, and the heap is back near where it was: 3.5 KB more here, where the staging vector
// kept the capacity of its largest moment for the rest of the call, 48-51 KB (issue 17, session 7).
TEST_F(RecorderPipelineTest, StagedAudioIsFreedOnceWritten) {
  if (!heap_is_measurable()) GTEST_SKIP() << "this allocator does not report through mallinfo2 (a sanitizer's)";
  const fs::path root = tmp.path / "rec";
  GstElement* p = launch("appsrc name=caller caps=audio/x-raw,format=S16LE,channels=1,layout=interleaved,rate=8000 "
                         "format=time max-bytes=0 block=false ! callrecorder name=rec call-sid=CA5 recording-id=r5 root=" +
                         root.string());
  GstElement* caller = gst_bin_get_by_name(GST_BIN(p), "caller");
  ASSERT_NE(gst_element_set_state(p, GST_STATE_PLAYING), GST_STATE_CHANGE_FAILURE);
  // One buffer per second: GLib's slice allocator keeps the memory of the GstBuffers it
  // served, so the audio comes in few of them, to measure the writer and not GLib.
  auto push_second = [&](int s) {
    GstBuffer* b = gst_buffer_new_allocate(nullptr, 8000 * 2, nullptr);
    gst_buffer_memset(b, 0, 0x11, 8000 * 2);
    GST_BUFFER_PTS(b) = s * GST_SECOND;
    GST_BUFFER_DURATION(b) = GST_SECOND;
    GstFlowReturn ret = GST_FLOW_ERROR;
    g_signal_emit_by_name(caller, "push-buffer", b, &ret);
    gst_buffer_unref(b);
    EXPECT_EQ(ret, GST_FLOW_OK);
  };
  const fs::path part = root / "org/unassigned/recordings/CA5/r5.wav.part";
  auto written = [&] { return fs::exists(part) ? fs::file_size(part) : 0; };
  push_second(0);  // caps: the writer exists, and the first second is written
  for (int i = 0; i < 300 && written() < 44 + 8000 * 4; ++i) g_usleep(10000);
  const std::size_t before = heap_in_use();
  for (int s = 1; s < 5; ++s) push_second(s);
  for (int i = 0; i < 500 && written() < 44 + 5 * 8000 * 4; ++i) g_usleep(10000);
  g_usleep(20000);  // the last write's bookkeeping
  ASSERT_EQ(written(), 44 + 5 * 8000 * 4);
  const long grown = static_cast<long>(heap_in_use()) - static_cast<long>(before);
  EXPECT_LT(grown, 16 * 1024);
  gst_object_unref(caller);
  gst_element_set_state(p, GST_STATE_NULL);
  gst_object_unref(p);
  EXPECT_NEAR(read_wav(root / "org/unassigned/recordings/CA5/r5.wav").seconds(), 5.0, 0.001);
}

// rate=0, the default: the recording has the rate of the caps, whatever it is (8–48 kHz here),
// in the WAV header and the manifest, and the audio keeps its length.
TEST_F(RecorderPipelineTest, ByDefaultTheRecordingHasTheRateOfItsCaps) {
  GstElement* probe = gst_element_factory_make("callrecorder", nullptr);
  ASSERT_TRUE(probe);
  guint rate_property = 1;
  g_object_get(probe, "rate", &rate_property, nullptr);
  gst_object_unref(gst_object_ref_sink(probe));
  EXPECT_EQ(rate_property, 0u);
  for (const int rate : {8000, 24000, 48000}) {
    const fs::path root = tmp.path / ("rec" + std::to_string(rate));
    GstElement* p = launch("audiotestsrc num-buffers=50 samplesperbuffer=" + std::to_string(rate / 50) +
                           " volume=0.5 ! audio/x-raw,format=S16LE,rate=" + std::to_string(rate) +
                           ",channels=1 ! callrecorder name=rec call-sid=CA8 recording-id=r8 root=" + root.string());
    ASSERT_TRUE(p);
    BusLog log;
    run_to_eos(p, log);
    gst_object_unref(p);
    ASSERT_TRUE(log.eos) << rate << ": " << log.error;
    const fs::path dir = root / "org/unassigned/recordings/CA8";
    const Wav w = read_wav(dir / "r8.wav");
    EXPECT_EQ(w.info.format.sample_rate, unsigned(rate));
    EXPECT_EQ(w.info.format.channels, 2);
    EXPECT_NEAR(w.seconds(), 1.0, 0.001) << rate;
    EXPECT_EQ(first_loud_frame(w, 1), -1);
    EXPECT_LT(first_loud_frame(w, 0), rate / 100);
    auto m = protocol::manifest_from_json(slurp(dir / "r8.json"));
    ASSERT_TRUE(m);
    EXPECT_EQ(m->sample_rate, unsigned(rate));
    EXPECT_NEAR(m->duration_seconds, 1.0, 0.001);
  }
}

// A caller track at 8 kHz whose upstream states its rate before any data (the capsfilter, as
// the host's ingest and decoders do; a bare appsrc answers ANY until it has sent caps), and an
// agent track at 16 kHz behind a resampler, into a rate=0 recorder.
std::string caller_8k_agent_resampled(const std::string& call_sid, const std::string& recording_id,
                                      const fs::path& root) {
  return "appsrc name=caller caps=audio/x-raw,format=S16LE,channels=1,layout=interleaved,rate=8000 "
         "format=time max-bytes=0 block=false ! audio/x-raw,rate=8000 ! rec.caller  appsrc name=agent " +
         std::string(kAppCaps) + " ! audioresample ! rec.agent  callrecorder name=rec call-sid=" + call_sid +
         " recording-id=" + recording_id + " root=" + root.string();
}

// The pad offers 8 kHz and nothing else.
void expect_only_8k(GstPad* pad) {
  GstCaps* caps = gst_pad_query_caps(pad, nullptr);
  GstCaps* want = gst_caps_from_string("audio/x-raw,rate=8000");
  EXPECT_TRUE(gst_caps_is_subset(caps, want)) << gst_caps_to_string(caps);
  gst_caps_unref(want);
  gst_caps_unref(caps);
}

// The first caps decide (here the caller's 8 kHz): the agent pad then answers caps queries with
// that rate only, so the agent's resampler converts its 16 kHz to it, and its audio lands at its
// call offset, sample-accurately, in the 8 kHz file.
TEST_F(RecorderPipelineTest, TheFirstCapsFixTheRateAndTheOtherTrackIsResampledToIt) {
  const fs::path root = tmp.path / "rec";
  GstElement* p = launch(caller_8k_agent_resampled("CA9", "r9", root));
  ASSERT_TRUE(p);
  GstElement* rec = gst_bin_get_by_name(GST_BIN(p), "rec");
  GstPad* agent_pad = gst_element_get_static_pad(rec, "agent");

  GstElement* caller = gst_bin_get_by_name(GST_BIN(p), "caller");
  GstElement* agent = gst_bin_get_by_name(GST_BIN(p), "agent");
  ASSERT_EQ(gst_element_set_state(p, GST_STATE_PAUSED), GST_STATE_CHANGE_SUCCESS);
  push_track(caller, 0.0, 4.0, [](double s) { return s >= 1.0 && s < 1.5; }, 8000);
  for (int i = 0; i < 200 && level_bytes(caller) > 0; ++i) g_usleep(10000);
  g_usleep(50000);
  expect_only_8k(agent_pad);
  push_track(agent, 2.0, 3.0, [](double s) { return s < 2.5; }, 16000);
  end_of_stream(agent);
  end_of_stream(caller);
  gst_object_unref(caller);
  gst_object_unref(agent);
  gst_object_unref(agent_pad);
  gst_object_unref(rec);
  BusLog log;
  run_to_eos(p, log);
  gst_object_unref(p);
  ASSERT_TRUE(log.eos) << log.error;

  const Wav w = read_wav(root / "org/unassigned/recordings/CA9/r9.wav");
  EXPECT_EQ(w.info.format.sample_rate, 8000u);
  EXPECT_NEAR(w.seconds(), 4.0, 0.01);
  EXPECT_NEAR(first_loud_frame(w, 0), 8000, 2);
  EXPECT_NEAR(first_loud_frame(w, 1), 16000, 8);  // 1 ms: the resampler's filter ramp
  auto m = protocol::manifest_from_json(slurp(root / "org/unassigned/recordings/CA9/r9.json"));
  ASSERT_TRUE(m);
  EXPECT_EQ(m->sample_rate, 8000u);
}

// The caller track decides even when the agent track negotiates first: the agent pad's caps
// query answers the one rate the caller's upstream can bring, so the agent's resampler goes to
// 8 kHz before any caller audio exists. (Before: the agent's 16 kHz caps made a 16 kHz
// recording, the caller's 8 kHz caps were refused and the pipeline failed not-negotiated —
// a race the first-caps rule lost whenever the agent's source started first.)
TEST_F(RecorderPipelineTest, TheCallerTrackDecidesTheRateEvenWhenTheAgentNegotiatesFirst) {
  const fs::path root = tmp.path / "rec";
  GstElement* p = launch(caller_8k_agent_resampled("CA10", "r10", root));
  ASSERT_TRUE(p);
  GstElement* rec = gst_bin_get_by_name(GST_BIN(p), "rec");
  GstPad* agent_pad = gst_element_get_static_pad(rec, "agent");
  GstElement* caller = gst_bin_get_by_name(GST_BIN(p), "caller");
  GstElement* agent = gst_bin_get_by_name(GST_BIN(p), "agent");
  ASSERT_EQ(gst_element_set_state(p, GST_STATE_PAUSED), GST_STATE_CHANGE_SUCCESS);
  expect_only_8k(agent_pad);  // no caps on either pad yet
  push_track(agent, 2.0, 3.0, [](double s) { return s < 2.5; }, 16000);  // the agent first
  for (int i = 0; i < 200 && level_bytes(agent) > 0; ++i) g_usleep(10000);
  g_usleep(50000);
  push_track(caller, 0.0, 4.0, [](double s) { return s >= 1.0 && s < 1.5; }, 8000);
  end_of_stream(agent);
  end_of_stream(caller);
  gst_object_unref(caller);
  gst_object_unref(agent);
  gst_object_unref(agent_pad);
  gst_object_unref(rec);
  BusLog log;
  run_to_eos(p, log);
  gst_object_unref(p);
  ASSERT_TRUE(log.eos) << log.error;

  const Wav w = read_wav(root / "org/unassigned/recordings/CA10/r10.wav");
  EXPECT_EQ(w.info.format.sample_rate, 8000u);
  EXPECT_NEAR(w.seconds(), 4.0, 0.01);
  EXPECT_NEAR(first_loud_frame(w, 0), 8000, 2);
  EXPECT_NEAR(first_loud_frame(w, 1), 16000, 8);
}


}  // namespace
}  // namespace mediaflow::test::recorder
