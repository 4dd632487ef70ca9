// "Fake vendors under load" (docs/benchmarks.md): the latency arithmetic and histogram the fakes
// use, tested directly; the Deepgram tag plumbing and the standalone fake-deepgram's report on
// real calls through the host; the standalone fake-elevenlabs' stamped agent audio arriving
// byte for byte in the caller's outbound media. Correctness only, never speed: the only bounds
// on latencies are the ones the known t0 implies.
#include "server/host_fixture.hpp"
#include "support/bench_latency.hpp"
#include "support/fake_deepgram.hpp"
#include "support/test_files.hpp"

#include <mediaflow/pipeline/parser.hpp>

#include <gio/gio.h>
#include <glib.h>

#include <csignal>
#include <fstream>
#include <regex>
#include <thread>

namespace mediaflow::test {
namespace {

namespace tw = protocol::twilio;
using bench::LatencyHistogram;

constexpr const char* kStreamSid = "MZ00000000000000000000000000000001";
constexpr std::int64_t kMs = 1'000'000;

// ---- the arithmetic -------------------------------------------------------------------------

TEST(VendorBenchLatency, NewestCallerFrameOfAChunkEndingAtAudioTimeB) {
  constexpr std::uint64_t kS16At16k = 32000;  // bytes per second of what deepgramasr sends here
  EXPECT_EQ(bench::newest_caller_frame(32, kS16At16k), 0);        // 1 ms: frame 0
  EXPECT_EQ(bench::newest_caller_frame(640, kS16At16k), 0);       // 20 ms: still frame 0
  EXPECT_EQ(bench::newest_caller_frame(642, kS16At16k), 1);       // one sample into frame 1
  EXPECT_EQ(bench::newest_caller_frame(1280, kS16At16k), 1);      // 40 ms
  EXPECT_EQ(bench::newest_caller_frame(32000, kS16At16k), 49);    // 1 s
  EXPECT_EQ(bench::newest_caller_frame(8000, 8000), 49);          // mu-law at 8 kHz, 1 s
  EXPECT_EQ(bench::newest_caller_frame(0, kS16At16k), 0);
  // 10 hours of audio: no overflow.
  EXPECT_EQ(bench::newest_caller_frame(32000ull * 36000, kS16At16k), 36000 * 50 - 1);
}

TEST(VendorBenchLatency, IngestLatencyIsArrivalMinusTheNewestFramesScheduledSend) {
  const std::int64_t t0 = 5'000 * kMs;
  // 100 ms of audio (frames 0..4), arriving 3 ms after frame 4 was due (t0 + 80 ms).
  EXPECT_EQ(bench::ingest_latency_ns(t0, 3200, 32000, t0 + 83 * kMs), 3 * kMs);
  // A caller that ran early gives a negative value (the histogram counts it as 0).
  EXPECT_EQ(bench::ingest_latency_ns(t0, 3200, 32000, t0 + 79 * kMs), -1 * kMs);
}

TEST(VendorBenchLatency, HistogramQuantilesWithinTheirBucketPrecision) {
  LatencyHistogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.quantile_ms(0.5), 0.0);
  for (int ms = 1; ms <= 1000; ++ms) h.add_ns(std::int64_t(ms) * kMs);  // 1..1000 ms
  EXPECT_EQ(h.count(), 1000u);
  EXPECT_NEAR(h.quantile_ms(0.50), 500.0, 500.0 * 0.016);
  EXPECT_NEAR(h.quantile_ms(0.99), 990.0, 990.0 * 0.016);
  EXPECT_DOUBLE_EQ(h.max_ms(), 1000.0);                  // exact
  EXPECT_DOUBLE_EQ(h.quantile_ms(1.0), 1000.0);          // clamped to the max
  EXPECT_NEAR(h.quantile_ms(0.0005), 1.0, 0.016);         // the smallest sample
}

TEST(VendorBenchLatency, HistogramIsExactBelow128MicrosecondsAndClampsNegatives) {
  LatencyHistogram h;
  h.add_ns(-5 * kMs);
  h.add_ns(37'000);   // 37 µs
  h.add_ns(100'000);  // 100 µs
  EXPECT_DOUBLE_EQ(h.quantile_ms(0.3), 0.0);    // 1st of 3
  EXPECT_DOUBLE_EQ(h.quantile_ms(0.5), 0.037);  // 2nd of 3
  EXPECT_DOUBLE_EQ(h.max_ms(), 0.1);
  // A tail far out (an hour) does not move the median and needs no more memory.
  for (int i = 0; i < 100; ++i) h.add_ns(20 * kMs);
  h.add_ns(3600'000 * kMs);
  EXPECT_NEAR(h.quantile_ms(0.5), 20.0, 20.0 * 0.016);
  EXPECT_DOUBLE_EQ(h.max_ms(), 3600'000.0);
  EXPECT_LE(sizeof(LatencyHistogram), 64u * 1024);
}

TEST(VendorBenchLatency, ReportIsOneJsonLineWithTheAgreedKeys) {
  LatencyHistogram h;
  h.add_ns(50'000);  // exact buckets (< 128 µs) keep the text predictable
  h.add_ns(100'000);
  EXPECT_EQ(bench::latency_report_json("deepgram", 1, h),
            R"({"vendor":"deepgram","connections":1,"chunks":2,"p50_ms":0.050,"p99_ms":0.100,"max_ms":0.100})");
  EXPECT_EQ(bench::latency_report_json("deepgram", 0, LatencyHistogram{}),
            R"({"vendor":"deepgram","connections":0,"chunks":0,"p50_ms":0.000,"p99_ms":0.000,"max_ms":0.000})");
}

TEST(VendorBenchLatency, StampedChunkLayout) {
  const std::uint64_t ns = 0x0102030405060708ull;
  const auto chunk = bench::stamped_chunk(ns);
  ASSERT_EQ(chunk.size(), 160u);
  EXPECT_EQ(std::string(chunk.begin(), chunk.begin() + 4), "MFTS");
  EXPECT_EQ(chunk[4], 0x08);  // little-endian
  EXPECT_EQ(chunk[11], 0x01);
  for (std::size_t i = 12; i < chunk.size(); ++i) ASSERT_EQ(chunk[i], 0xFF) << i;
  EXPECT_EQ(bench::read_stamp(chunk), ns);
  auto other = chunk;
  other[0] = 'X';
  EXPECT_FALSE(bench::read_stamp(other).has_value());
  EXPECT_FALSE(bench::read_stamp(std::span(chunk).first(11)).has_value());
}

// ---- the benchmark's pipeline ---------------------------------------------------------------

// bench/pipelines/transcribe-deepgram.json measures the shipped pipeline: the same nodes,
// properties and links, plus only the asr node's `tag`.
TEST(VendorBenchPipeline, BenchTranscribeDeepgramIsTheShippedOnePlusTags) {
  auto shipped = pipeline::parse_pipeline_file(source_dir() / "pipelines" / "transcribe-deepgram.json");
  auto bench = pipeline::parse_pipeline_file(source_dir() / "bench" / "pipelines" / "transcribe-deepgram.json");
  ASSERT_TRUE(shipped.spec && shipped.errors.empty());
  ASSERT_TRUE(bench.spec && bench.errors.empty());
  EXPECT_EQ(bench.spec->name, shipped.spec->name);
  ASSERT_EQ(bench.spec->nodes.size(), shipped.spec->nodes.size());
  for (std::size_t i = 0; i < shipped.spec->nodes.size(); ++i) {
    const auto& a = shipped.spec->nodes[i];
    auto b = bench.spec->nodes[i];
    EXPECT_EQ(b.name, a.name);
    EXPECT_EQ(b.element, a.element);
    if (b.element == "deepgramasr") {
      ASSERT_FALSE(b.properties.empty());
      EXPECT_EQ(b.properties.back().name, "tag");
      EXPECT_EQ(b.properties.back().text,
                "mediaflow-bench,bench_t0_ns=${param.bench_t0_ns:-},bench_call=${param.bench_call:-}");
      b.properties.pop_back();
    }
    ASSERT_EQ(b.properties.size(), a.properties.size()) << a.name;
    for (std::size_t k = 0; k < a.properties.size(); ++k) {
      EXPECT_EQ(b.properties[k].name, a.properties[k].name);
      EXPECT_EQ(b.properties[k].text, a.properties[k].text);
    }
  }
  ASSERT_EQ(bench.spec->links.size(), shipped.spec->links.size());
  for (std::size_t i = 0; i < shipped.spec->links.size(); ++i) {
    const auto &a = shipped.spec->links[i], &b = bench.spec->links[i];
    EXPECT_EQ(b.from.node + "." + b.from.pad + ">" + b.to.node + "." + b.to.pad + ":" + b.caps.value_or(""),
              a.from.node + "." + a.from.pad + ">" + a.to.node + "." + a.to.pad + ":" + a.caps.value_or(""));
  }
}

// ---- a fake vendor as a process (what the benchmark runs) ------------------------------------

// Spawns build/tests/<name> with `args`, reads the first line it prints (its URL), SIGTERM on stop.
class FakeProcess {
 public:
  FakeProcess(const std::string& name, std::vector<std::string> args) {
    args.insert(args.begin(), (build_dir() / "tests" / name).string());
    std::vector<const gchar*> argv;
    for (auto& a : args) argv.push_back(a.c_str());
    argv.push_back(nullptr);
    GError* error = nullptr;
    process_ = g_subprocess_newv(argv.data(), G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
    if (!process_) {
      ADD_FAILURE() << "cannot start " << name << ": " << error->message;
      g_error_free(error);
      return;
    }
    GDataInputStream* out = g_data_input_stream_new(g_subprocess_get_stdout_pipe(process_));
    if (gchar* line = g_data_input_stream_read_line_utf8(out, nullptr, nullptr, nullptr)) {
      first_line_ = line;
      g_free(line);
    }
    g_object_unref(out);
  }
  ~FakeProcess() { stop(); }

  const std::string& first_line() const { return first_line_; }

  // SIGTERM, wait; returns the exit status (-1: not running).
  int stop() {
    if (!process_) return -1;
    g_subprocess_send_signal(process_, SIGTERM);
    g_subprocess_wait(process_, nullptr, nullptr);
    const int status = g_subprocess_get_if_exited(process_) ? g_subprocess_get_exit_status(process_) : -1;
    g_object_unref(process_);
    process_ = nullptr;
    return status;
  }

 private:
  GSubprocess* process_ = nullptr;
  std::string first_line_;
};

double json_number(const std::string& text, const std::string& key) {
  std::smatch m;
  if (!std::regex_search(text, m, std::regex("\"" + key + "\":(-?[0-9.]+)"))) return -1;
  return std::stod(m[1].str());
}

// A host whose pipelines are the benchmark's (bench/pipelines: transcribe-deepgram with tags).
class VendorBenchHost : public HostTest {
 protected:
  void SetUp() override {
    HostTest::SetUp();
    config_.pipelines_dir = source_dir() / "bench" / "pipelines";
    setenv("RECORDINGS_DIR", recordings_.path.c_str(), 1);
    config_.recordings_dir = recordings_.path;
  }

  static std::string bench_start(const std::string& pipeline, std::int64_t t0_ns, int call) {
    tw::StartEvent s;
    s.stream_sid = kStreamSid;
    s.call_sid = "CA00000000000000000000000000000001";
    s.account_sid = "AC00000000000000000000000000000001";
    s.tracks = {"inbound"};
    s.custom_parameters["pipeline"] = pipeline;
    s.custom_parameters["bench_t0_ns"] = std::to_string(t0_ns);
    s.custom_parameters["bench_call"] = std::to_string(call);
    s.media_format = {"audio/x-mulaw", 8000, 1};
    return tw::encode_start(1, s);
  }

  TempDir recordings_;
};

TEST_F(VendorBenchHost, BenchPipelineTagsTheDeepgramConnectionAndTheFakeMeasuresEveryMessage) {
  FakeDeepgram vendor("dg-test-key");
  ASSERT_NE(vendor.start(), 0);
  setenv("DEEPGRAM_API_KEY", "dg-test-key", 1);
  setenv("DEEPGRAM_WS_URL", vendor.url().c_str(), 1);
  ASSERT_NO_FATAL_FAILURE(start_host());

  // Frame 0 was "scheduled" 10 s ago and the 50 frames are sent at once: every frame is
  // between 9 s and 10 s + the run late, whatever the machine's speed.
  const std::int64_t t0 = bench::monotonic_ns() - 10'000 * kMs;
  RawWebSocket ws;
  ASSERT_EQ(ws.connect(port(), "/rtm/voice"), 101);
  ASSERT_TRUE(ws.send_text(bench_start("transcribe-deepgram", t0, 7)));
  send_media(ws, 50, 3, kStreamSid);
  ASSERT_TRUE(ws.send_text(tw::encode_stop(60, kStreamSid, "AC", "CA")));
  EXPECT_EQ(ws.wait_close(10000), 1000);
  const std::int64_t end = bench::monotonic_ns();
  host_->stop();

  const auto conns = vendor.connections();
  ASSERT_EQ(conns.size(), 1u);
  EXPECT_EQ(conns[0].tags,
            (std::vector<std::string>{"mediaflow-bench", "bench_t0_ns=" + std::to_string(t0), "bench_call=7"}));
  // The call's mu-law as it is: 8000 bytes per second, the fake's byte clock follows the query.
  EXPECT_EQ(conns[0].query.at("sample_rate"), "8000");
  EXPECT_EQ(conns[0].query.at("encoding"), "mulaw");

  const auto latency = vendor.ingest_latency();
  EXPECT_EQ(latency.connections, 1u);
  EXPECT_EQ(latency.histogram.count(), 10u) << "1 s in deepgramasr's 100 ms messages";
  EXPECT_GE(latency.histogram.quantile_ms(0.0001), 9000.0 * 0.984);
  EXPECT_LE(latency.histogram.max_ms(), double(end - t0) / 1e6);
}

TEST_F(VendorBenchHost, CallWithoutBenchParametersIsNotMeasured) {
  FakeDeepgram vendor("dg-test-key");
  ASSERT_NE(vendor.start(), 0);
  setenv("DEEPGRAM_API_KEY", "dg-test-key", 1);
  setenv("DEEPGRAM_WS_URL", vendor.url().c_str(), 1);
  ASSERT_NO_FATAL_FAILURE(start_host());
  RawWebSocket ws;
  ASSERT_EQ(ws.connect(port(), "/rtm/voice"), 101);
  ASSERT_TRUE(ws.send_text(start_message("transcribe-deepgram")));  // no bench_* parameters
  send_media(ws, 25, 3, kStreamSid);
  ASSERT_TRUE(ws.send_text(tw::encode_stop(30, kStreamSid, "AC", "CA")));
  EXPECT_EQ(ws.wait_close(10000), 1000);
  host_->stop();
  const auto conns = vendor.connections();
  ASSERT_EQ(conns.size(), 1u);
  EXPECT_GT(conns[0].audio_bytes, 0u);
  EXPECT_EQ(vendor.ingest_latency().connections, 0u);
  EXPECT_EQ(vendor.ingest_latency().histogram.count(), 0u);
}

TEST_F(VendorBenchHost, StandaloneFakeDeepgramWritesItsLatencyReportOnSigterm) {
  TempDir dir;
  const auto report = dir / "deepgram-latency.jsonl";
  FakeProcess fake("fake-deepgram", {"--port", "0", "--key", "dg-test-key", "--latency-report", report.string()});
  ASSERT_EQ(fake.first_line().rfind("ws://127.0.0.1:", 0), 0u) << fake.first_line();
  setenv("DEEPGRAM_API_KEY", "dg-test-key", 1);
  setenv("DEEPGRAM_WS_URL", fake.first_line().c_str(), 1);
  ASSERT_NO_FATAL_FAILURE(start_host());

  // One second of caller audio paced like the load generator: frame k at t0 + 20 ms·k.
  RawWebSocket ws;
  ASSERT_EQ(ws.connect(port(), "/rtm/voice"), 101);
  const std::int64_t t0 = bench::monotonic_ns() + 20 * kMs;
  ASSERT_TRUE(ws.send_text(bench_start("transcribe-deepgram", t0, 0)));
  for (int k = 0; k < 50; ++k) {
    const std::int64_t due = t0 + k * 20 * kMs;
    if (const auto wait = due - bench::monotonic_ns(); wait > 0) std::this_thread::sleep_for(std::chrono::nanoseconds(wait));
    send_media(ws, 1, 5, kStreamSid, k);
  }
  ASSERT_TRUE(ws.send_text(tw::encode_stop(60, kStreamSid, "AC", "CA")));
  EXPECT_EQ(ws.wait_close(10000), 1000);
  const std::int64_t end = bench::monotonic_ns();
  host_->stop();
  EXPECT_EQ(fake.stop(), 0);

  std::ifstream in(report);
  std::string line, extra;
  ASSERT_TRUE(std::getline(in, line)) << "no report in " << report;
  EXPECT_FALSE(std::getline(in, extra)) << "one line per run";
  EXPECT_EQ(line.rfind(R"({"vendor":"deepgram","connections":1,"chunks":)", 0), 0u) << line;
  const double chunks = json_number(line, "chunks"), p50 = json_number(line, "p50_ms"),
               p99 = json_number(line, "p99_ms"), max = json_number(line, "max_ms");
  EXPECT_GE(chunks, 10) << line;
  EXPECT_GE(p50, 0) << line;
  EXPECT_LE(p50, p99) << line;
  EXPECT_LE(p99, max) << line;
  EXPECT_LE(max, double(end - t0) / 1e6) << line;  // nothing arrives before it was sent
}

TEST(VendorBenchFakes, StandaloneFakesRefuseUnknownFlagsAndUnwritableReports) {
  FakeProcess bad_flag("fake-deepgram", {"--latency", "x"});
  EXPECT_EQ(bad_flag.stop(), 2);
  FakeProcess bad_file("fake-deepgram", {"--latency-report", "/nonexistent-dir/report.jsonl"});
  EXPECT_EQ(bad_file.stop(), 1);
  FakeProcess bad_format("fake-elevenlabs", {"--bench-stream", "--format", "pcm_16000"});
  EXPECT_EQ(bad_format.stop(), 2);
}

// ---- vendor → caller: stamped agent audio through the host -----------------------------------

TEST_F(VendorBenchHost, StandaloneFakeElevenLabsStampedAudioReachesTheCallerByteForByte) {
  FakeProcess fake("fake-elevenlabs", {"--port", "0", "--bench-stream"});
  ASSERT_EQ(fake.first_line().rfind("ws://127.0.0.1:", 0), 0u) << fake.first_line();
  // The benchmark's host set-up: a public agent, the shipped agent-elevenlabs pipeline.
  config_.pipelines_dir = source_dir() / "pipelines";
  setenv("ELEVENLABS_WS_URL", fake.first_line().c_str(), 1);
  setenv("ELEVENLABS_AGENT_ID", "agent_test", 1);
  unsetenv("ELEVENLABS_API_KEY");
  ASSERT_NO_FATAL_FAILURE(start_host());

  RawWebSocket ws;
  ASSERT_EQ(ws.connect(port(), "/rtm/voice"), 101);
  const auto before = std::uint64_t(bench::monotonic_ns());
  ASSERT_TRUE(ws.send_text(start_message("agent-elevenlabs")));
  send_media(ws, 5, 9, kStreamSid);

  std::vector<std::uint64_t> stamps;
  int other_media = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (stamps.size() < 25 && std::chrono::steady_clock::now() < deadline) {
    auto f = ws.read_frame(1000);
    if (!f || f->opcode != 1 || f->payload.find(R"("event":"media")") == std::string::npos) continue;
    const auto received = std::uint64_t(bench::monotonic_ns());
    const auto p = f->payload.find(R"("payload":")") + 11;
    const std::string b64 = f->payload.substr(p, f->payload.find('"', p) - p);
    std::vector<std::uint8_t> payload(tw::base64_decoded_max(b64.size()));
    const auto n = tw::decode_base64(b64, payload);
    ASSERT_TRUE(n.has_value());
    payload.resize(*n);
    const auto stamp = bench::read_stamp(payload);
    if (!stamp) {
      ++other_media;
      continue;
    }
    ASSERT_EQ(payload.size(), 160u) << "one Twilio media frame per 20 ms chunk";
    const auto expected = bench::stamped_chunk(*stamp);
    EXPECT_TRUE(std::equal(payload.begin(), payload.end(), expected.begin())) << "bytes changed on the way";
    EXPECT_GE(*stamp, before);
    EXPECT_LE(*stamp, received) << "a stamp is the fake's send time on the same clock";
    if (!stamps.empty()) {
      EXPECT_GT(*stamp, stamps.back()) << "in order, each chunk its own frame";
    }
    stamps.push_back(*stamp);
  }
  EXPECT_EQ(stamps.size(), 25u);
  EXPECT_EQ(other_media, 0) << "with --bench-stream every agent frame is stamped (no greeting)";
  ASSERT_TRUE(ws.send_text(tw::encode_stop(10, kStreamSid, "AC", "CA")));
  EXPECT_EQ(ws.wait_close(10000), 1000);
  host_->stop();
  EXPECT_EQ(fake.stop(), 0);
}

}  // namespace
}  // namespace mediaflow::test
