// mediaflow-loadgen: N concurrent simulated Twilio or jambonz calls against a host (default pipeline
// `echo`), with per-frame round-trip latency, lost/late frames, call setup time, its own
// pacing lag, vendor→caller latency from stamped audio, and the host's CPU / RSS / threads
// sampled from /proc. Prints a summary and one JSON line.
#include "loadgen/load_run.hpp"
#include "loadgen/proc_stats.hpp"

#include <mediaflow/file_limit.hpp>
#include <mediaflow/dial/host_process.hpp>
#include <mediaflow/gstutil/audio_file.hpp>
#include <mediaflow/protocol/jambonz_metadata.hpp>

#include <gst/gst.h>
#include <sys/resource.h>

#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <thread>

namespace mb = mediaflow::bench;
namespace md = mediaflow::dial;

namespace {

constexpr const char* kUsage =
    "usage: mediaflow-loadgen (--url WS_URL [--host-pid PID] | --spawn) [options]\n\n"
    "  --url URL         host WebSocket, e.g. ws://127.0.0.1:8080/rtm/voice (jambonz: …/fork)\n"
    "  --protocol P      twilio (default: Media Streams, 8 kHz mu-law) | jambonz (listen:\n"
    "                    metadata frame, binary 16-bit PCM, close 1000 at the end)\n"
    "  --rate HZ         jambonz sampleRate: 8000 (default), 16000, 24000, 48000, 64000\n"
    "  --host-pid PID    sample this process's CPU/RSS/threads from /proc\n"
    "  --spawn           start `mediaflow serve` from this build (PORT=0, PIPELINES_DIR and\n"
    "                    PLUGIN_DIR of this tree, MAX_CONCURRENT_CALLS = calls + 10) and sample it\n"
    "  --binary PATH     mediaflow binary for --spawn (default: the build's)\n"
    "  --calls N         concurrent calls (default 10)\n"
    "  --ramp S          start the calls evenly over S seconds (default 1)\n"
    "  --duration S      audio per call, sent in real time (default 10)\n"
    "  --pipeline NAME   customParameters.pipeline / jambonz metadata pipeline (default echo)\n"
    "  --param K=V       more custom parameters / metadata keys (repeatable)\n"
    "  --header K=V      upgrade request header (repeatable), e.g. x-media-auth=T\n"
    "  --threads N       independent client engines (epoll loops), calls split between\n"
    "                    them (default 1)\n"
    "  --quick           4 calls x 2 s, ramp 0.2 s (smoke test)\n"
    "  --no-echo-check   do not require every frame back (pipelines other than echo)\n"
    "  --audio FILE      loop this audio (any file GStreamer decodes, e.g. a speech WAV) as\n"
    "                    every call's audio instead of the unique pattern; implies\n"
    "                    --no-echo-check\n"
    "  --abnormal N      every Nth call ends abnormally (vanishes or closes mid-call without\n"
    "                    stop, or never sends start); counted apart, not echo-checked\n"
    "  --vendor-stamps   measure vendor->caller latency from MFTS stamps in received audio\n\n"
    "Every call's start.customParameters (jambonz: metadata) carries bench_t0_ns (CLOCK_MONOTONIC ns at which its\n"
    "frame 0 is scheduled; frame k at bench_t0_ns + k*20 ms) and bench_call (the call index).\n"
    "Exit 0 when every call (but the abnormal ones) closed 1000 and (unless --no-echo-check) every frame came back.\n";

constexpr unsigned kMaxThreads = 64;

std::optional<double> number(const std::string& s) {
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v < 0) return std::nullopt;
  return v;
}

double client_cpu_ms() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

int usage_error(const std::string& msg) {
  std::fprintf(stderr, "mediaflow-loadgen: %s\n%s", msg.c_str(), kUsage);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  mb::LoadOptions o;
  o.custom_parameters["pipeline"] = "echo";
  bool spawn = false, echo_check = true;
  std::string audio_file;
  pid_t host_pid = 0;
  std::string binary = std::string(MEDIAFLOW_BUILD_DIR) + "/mediaflow";
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::optional<std::string> {
      if (i + 1 >= argc) return std::nullopt;
      return std::string(argv[++i]);
    };
    auto num = [&]() -> std::optional<double> {
      auto v = value();
      return v ? number(*v) : std::nullopt;
    };
    auto kv = [&]() -> std::optional<std::pair<std::string, std::string>> {
      auto v = value();
      if (!v || v->find('=') == std::string::npos || (*v)[0] == '=') return std::nullopt;
      auto eq = v->find('=');
      return std::make_pair(v->substr(0, eq), v->substr(eq + 1));
    };
    if (a == "--help" || a == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (a == "--url") {
      auto v = value();
      if (!v) return usage_error("--url needs a value");
      o.url = *v;
    } else if (a == "--protocol") {
      auto v = value();
      if (!v || (*v != "twilio" && *v != "jambonz")) return usage_error("--protocol must be twilio or jambonz");
      o.protocol = *v == "jambonz" ? md::CallProtocol::kJambonz : md::CallProtocol::kTwilio;
    } else if (a == "--rate") {
      auto v = num();
      if (!v || !mediaflow::protocol::jambonz::is_supported_sample_rate(static_cast<uint64_t>(*v)) ||
          *v != static_cast<unsigned>(*v))
        return usage_error("--rate must be 8000, 16000, 24000, 48000 or 64000");
      o.sample_rate = static_cast<unsigned>(*v);
    } else if (a == "--host-pid") {
      auto v = num();
      if (!v || *v < 1) return usage_error("--host-pid needs a pid");
      host_pid = static_cast<pid_t>(*v);
    } else if (a == "--spawn") {
      spawn = true;
    } else if (a == "--binary") {
      auto v = value();
      if (!v) return usage_error("--binary needs a path");
      binary = *v;
    } else if (a == "--calls") {
      auto v = num();
      if (!v || *v < 1) return usage_error("--calls needs a positive number");
      o.calls = static_cast<unsigned>(*v);
    } else if (a == "--ramp") {
      auto v = num();
      if (!v) return usage_error("--ramp needs seconds");
      o.ramp_seconds = *v;
    } else if (a == "--duration") {
      auto v = num();
      if (!v || *v <= 0) return usage_error("--duration needs seconds");
      o.duration_seconds = *v;
    } else if (a == "--pipeline") {
      auto v = value();
      if (!v) return usage_error("--pipeline needs a name");
      o.custom_parameters["pipeline"] = *v;
    } else if (a == "--param" || a == "--header") {
      auto p = kv();
      if (!p) return usage_error(a + " needs K=V");
      if (a == "--param") o.custom_parameters[p->first] = p->second;
      else o.headers.push_back(*p);
    } else if (a == "--threads") {
      auto v = num();
      if (!v || *v < 1 || *v > kMaxThreads || *v != static_cast<unsigned>(*v))
        return usage_error("--threads must be 1.." + std::to_string(kMaxThreads));
      o.threads = static_cast<unsigned>(*v);
    } else if (a == "--quick") {
      o.calls = 4;
      o.duration_seconds = 2;
      o.ramp_seconds = 0.2;
    } else if (a == "--no-echo-check") {
      echo_check = false;
    } else if (a == "--audio") {
      auto v = value();
      if (!v) return usage_error("--audio needs a file");
      audio_file = *v;
      echo_check = false;
    } else if (a == "--vendor-stamps") {
      o.vendor_stamps = true;
    } else if (a == "--abnormal") {
      auto v = num();
      if (!v || *v < 2 || *v != static_cast<unsigned>(*v)) return usage_error("--abnormal needs a whole number >= 2");
      o.abnormal_every = static_cast<unsigned>(*v);
    } else {
      return usage_error("unknown argument " + a);
    }
  }
  if (spawn == !o.url.empty()) return usage_error("give exactly one of --url and --spawn");
  const bool jambonz = o.protocol == md::CallProtocol::kJambonz;
  if (!jambonz && o.sample_rate != 8000) return usage_error("--rate is for --protocol jambonz");
  // One socket per call on each side: lift our soft fd limit to the hard one (a spawned host
  // inherits it).
  mediaflow::raise_open_file_limit();

  if (!audio_file.empty()) {
    gst_init(nullptr, nullptr);
    std::string error;
    // The call's wire format: Twilio's mu-law, jambonz's PCM at its rate.
    const mediaflow::transport::AudioFormat wire{
        jambonz ? mediaflow::transport::AudioFormat::Encoding::kS16le : mediaflow::transport::AudioFormat::Encoding::kMulaw,
        static_cast<int>(o.sample_rate), 1};
    if (!mediaflow::gstutil::decode_file(audio_file, wire, o.audio, error) || o.audio.empty()) {
      std::fprintf(stderr, "mediaflow-loadgen: --audio %s: %s\n", audio_file.c_str(),
                   error.empty() ? "no audio in the file" : error.c_str());
      return 2;
    }
    o.match_echo = false;
  }

  md::HostProcess host;
  if (spawn) {
    md::HostProcessOptions h;
    h.binary = binary;
    h.env = {{"PIPELINES_DIR", std::string(MEDIAFLOW_SOURCE_DIR) + "/pipelines"},
             {"PLUGIN_DIR", std::string(MEDIAFLOW_BUILD_DIR) + "/plugins"},
             {"MAX_CONCURRENT_CALLS", std::to_string(o.calls + 10)},
             {"LOG_LEVEL", "info"}};  // the `listening` line is info
    std::string error;
    if (!host.start(h, &error)) {
      std::fprintf(stderr, "mediaflow-loadgen: %s\n", error.c_str());
      return 1;
    }
    o.url = host.ws_url(jambonz ? "/fork" : "/rtm/voice");
    host_pid = host.pid();
  }

  // Host samples: one before the calls (baseline), then every 250 ms while they run.
  std::optional<mb::ProcSample> before, after;
  uint64_t rss_peak = 0;
  unsigned threads_peak = 0;
  if (host_pid) before = mb::sample_process(host_pid);
  std::atomic<bool> running{true};
  std::thread sampler([&] {
    while (running) {
      if (host_pid) {
        if (auto s = mb::sample_process(host_pid)) {
          rss_peak = std::max(rss_peak, s->rss_kb);
          threads_peak = std::max(threads_peak, s->threads);
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
  });
  const double client_cpu_before = client_cpu_ms();
  const auto t0 = std::chrono::steady_clock::now();
  mb::LoadStats r;
  std::string load_error;
  const bool ran = mb::run_load(o, &r, &load_error);
  const double wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double client_cpu = client_cpu_ms() - client_cpu_before;
  if (host_pid) after = mb::sample_process(host_pid);
  running = false;
  sampler.join();
  if (spawn) host.stop();
  if (!ran) {
    std::fprintf(stderr, "mediaflow-loadgen: %s\n", load_error.c_str());
    return 2;
  }

  const uint64_t lost = r.frames_sent - r.frames_matched;
  const double call_seconds = o.calls * o.duration_seconds;
  const double host_cpu = before && after ? after->cpu_ms - before->cpu_ms : -1;
  const double rss_per_call = before && rss_peak ? (static_cast<double>(rss_peak) - before->rss_kb) / o.calls : -1;
  const unsigned engines = std::min(o.threads, o.calls);

  std::printf("calls %u %s at %u Hz (ramp %.1f s, %.1f s each, %u client thread%s), wall %.1f s\n", o.calls,
              md::protocol_name(o.protocol), o.sample_rate, o.ramp_seconds, o.duration_seconds, engines,
              engines > 1 ? "s" : "", wall_s);
  std::printf("completed %u, abnormal %u, refused %u, timed out %u; close codes:", r.completed, r.abnormal, r.refused,
              r.timed_out);
  for (auto [code, n] : r.close_codes) std::printf(" %u×%u", code, n);
  std::printf("\n");
  if (!r.errors.empty()) {
    std::printf("errors:");
    for (const auto& [why, n] : r.errors) std::printf(" %s ×%u;", why.c_str(), n);
    std::printf("\n");
  }
  std::printf("frames sent %llu, received %llu, matched %llu, lost %llu, late(>%.0f ms) %llu\n",
              (unsigned long long)r.frames_sent, (unsigned long long)r.frames_received,
              (unsigned long long)r.frames_matched, (unsigned long long)lost, mb::kLateMs,
              (unsigned long long)r.frames_late);
  const auto& rt = r.round_trip;
  std::printf("round trip ms: p50 %.2f, p99 %.2f, max %.2f\n", rt.percentile_ms(.5), rt.percentile_ms(.99), rt.max_ms());
  std::printf("setup ms: connect p50 %.1f / p99 %.1f; first echo p50 %.1f / p99 %.1f\n",
              r.connect.percentile_ms(.5), r.connect.percentile_ms(.99), r.first_echo.percentile_ms(.5),
              r.first_echo.percentile_ms(.99));
  std::printf("loadgen pacing lag ms (scheduled → sent): p50 %.3f, p99 %.3f, max %.2f; "
              "receive lag (arrived → read): p50 %.3f, p99 %.3f, max %.2f\n",
              r.pacing_lag.percentile_ms(.5), r.pacing_lag.percentile_ms(.99), r.pacing_lag.max_ms(),
              r.receive_lag.percentile_ms(.5), r.receive_lag.percentile_ms(.99), r.receive_lag.max_ms());
  if (o.vendor_stamps) {
    std::printf("vendor→caller ms: p50 %.2f, p99 %.2f, max %.2f (%llu stamped frames)\n",
                r.vendor_latency.percentile_ms(.5), r.vendor_latency.percentile_ms(.99),
                r.vendor_latency.max_ms(), (unsigned long long)r.vendor_stamped);
  }
  if (host_pid && before) {
    std::printf("host pid %d: cpu %.0f ms (%.3f ms per call-second), rss %llu → peak %llu kB (%.1f kB per call), threads peak %u\n",
                host_pid, host_cpu, host_cpu / call_seconds, (unsigned long long)before->rss_kb,
                (unsigned long long)rss_peak, rss_per_call, threads_peak);
  }
  std::printf("client cpu %.0f ms (%.3f ms per call-second)\n", client_cpu, client_cpu / call_seconds);
  std::printf(
      "{\"protocol\":\"%s\",\"sample_rate\":%u,\"calls\":%u,\"ramp_s\":%.3f,\"duration_s\":%.3f,\"client_threads\":%u,\"wall_s\":%.3f,"
      "\"completed\":%u,\"abnormal\":%u,\"refused\":%u,\"timed_out\":%u,\"frames_sent\":%llu,\"frames_received\":%llu,"
      "\"frames_matched\":%llu,\"frames_lost\":%llu,\"frames_late\":%llu,"
      "\"latency_ms\":{\"p50\":%.3f,\"p99\":%.3f,\"max\":%.3f},"
      "\"setup_ms\":{\"connect_p50\":%.3f,\"connect_p99\":%.3f,\"first_echo_p50\":%.3f,\"first_echo_p99\":%.3f},"
      "\"host\":{\"cpu_ms\":%.1f,\"cpu_ms_per_call_second\":%.4f,\"rss_baseline_kb\":%llu,\"rss_peak_kb\":%llu,"
      "\"rss_per_call_kb\":%.1f,\"threads_peak\":%u},\"client_cpu_ms\":%.1f,"
      "\"client_cpu_ms_per_call_second\":%.4f,"
      "\"pacing_lag_ms\":{\"p50\":%.3f,\"p99\":%.3f,\"max\":%.3f},"
      "\"receive_lag_ms\":{\"p50\":%.3f,\"p99\":%.3f,\"max\":%.3f},"
      "\"vendor_latency_ms\":{\"stamped_frames\":%llu,\"p50\":%.3f,\"p99\":%.3f,\"max\":%.3f}}\n",
      md::protocol_name(o.protocol), o.sample_rate, o.calls, o.ramp_seconds, o.duration_seconds, engines, wall_s, r.completed, r.abnormal, r.refused, r.timed_out,
      (unsigned long long)r.frames_sent, (unsigned long long)r.frames_received,
      (unsigned long long)r.frames_matched, (unsigned long long)lost, (unsigned long long)r.frames_late,
      rt.percentile_ms(.5), rt.percentile_ms(.99), rt.max_ms(), r.connect.percentile_ms(.5),
      r.connect.percentile_ms(.99), r.first_echo.percentile_ms(.5), r.first_echo.percentile_ms(.99), host_cpu,
      host_cpu >= 0 ? host_cpu / call_seconds : -1.0, (unsigned long long)(before ? before->rss_kb : 0),
      (unsigned long long)rss_peak, rss_per_call, threads_peak, client_cpu, client_cpu / call_seconds,
      r.pacing_lag.percentile_ms(.5), r.pacing_lag.percentile_ms(.99), r.pacing_lag.max_ms(),
      r.receive_lag.percentile_ms(.5), r.receive_lag.percentile_ms(.99), r.receive_lag.max_ms(),
      (unsigned long long)r.vendor_stamped, r.vendor_latency.percentile_ms(.5),
      r.vendor_latency.percentile_ms(.99), r.vendor_latency.max_ms());

  const bool ok = r.completed + r.abnormal == o.calls && (!echo_check || lost == 0);
  return ok ? 0 : 1;
}
