// mediaflow-agent-bench: latency of the ElevenLabs agent path through a real in-process host.
//   (a) interruption sent by the vendor → Twilio `clear` received by the caller
//   (b) vendor audio event sent → first `media` frame received by the caller
// Both ends are in this process (fake ElevenLabs on its own thread, the caller on the main
// thread, the host on its worker loops), timed with one steady clock; loopback TCP on both
// hops is included. `--load N` adds N background calls on the same pipeline, each streaming
// caller audio in real time and receiving a 1 s greeting plus pings every 500 ms.
//   mediaflow-agent-bench [--rounds 50] [--load 0]
#include "support/fake_elevenlabs.hpp"
#include "support/raw_websocket.hpp"

#include <mediaflow/pipeline/catalog.hpp>
#include <mediaflow/plugin_registry.hpp>
#include <mediaflow/protocol/twilio_envelope.hpp>
#include <mediaflow/server/host.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <thread>
#include <vector>

namespace tw = mediaflow::protocol::twilio;
using Clock = std::chrono::steady_clock;
using mediaflow::test::FakeElevenLabs;
using mediaflow::test::RawWebSocket;

namespace {

std::string start_json(const std::string& call) {
  tw::StartEvent s;
  s.stream_sid = "MZ" + call;
  s.call_sid = "CA" + call;
  s.account_sid = "AC00000000000000000000000000000001";
  s.tracks = {"inbound"};
  s.custom_parameters["pipeline"] = "agent-elevenlabs";
  s.media_format = {"audio/x-mulaw", 8000, 1};
  return tw::encode_start(1, s);
}

bool open_call(RawWebSocket& ws, std::uint16_t port, const std::string& call) {
  const int status = ws.connect(port, "/rtm/voice");
  if (status != 101) std::fprintf(stderr, "connect: HTTP %d\n", status);
  return status == 101 && ws.send_text(tw::encode_connected()) &&
         ws.send_text(start_json(call));
}

void send_frame(RawWebSocket& ws, const std::string& call, std::uint64_t i) {
  std::vector<std::uint8_t> f(160, std::uint8_t(0x55 + i % 7));
  ws.send_text(tw::encode_inbound_media(i + 2, "MZ" + call, "inbound", i + 1, i * 20, f));
}

// Reads until a text frame of `event` arrives; returns when it did (nullopt on timeout).
std::optional<Clock::time_point> wait_event(RawWebSocket& ws, const char* event, int timeout_ms = 3000) {
  const std::string needle = std::string("\"event\":\"") + event + "\"";
  const auto end = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (Clock::now() < end) {
    auto f = ws.read_frame(200);
    if (f && f->opcode == 1 && f->payload.find(needle) != std::string::npos) return Clock::now();
  }
  return std::nullopt;
}

void report(const char* what, std::vector<double> v) {
  if (v.empty()) {
    std::printf("%s: no samples\n", what);
    return;
  }
  std::sort(v.begin(), v.end());
  auto pct = [&](double p) { return v[std::min(v.size() - 1, std::size_t(p * double(v.size())))]; };
  std::printf("%s: n=%zu p50=%.3f ms p90=%.3f ms p99=%.3f ms max=%.3f ms\n", what, v.size(), pct(0.5), pct(0.9),
              pct(0.99), v.back());
}

}  // namespace

int main(int argc, char** argv) {
  int rounds = 50, load = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--rounds")) rounds = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--load")) load = std::atoi(argv[i + 1]);
  }
  gst_init(nullptr, nullptr);
  const auto build = std::filesystem::path(MEDIAFLOW_BUILD_DIR);
  mediaflow::load_plugins(build / "plugins");
  FakeElevenLabs fake;
  fake.set_formats("ulaw_8000", "ulaw_8000");
  if (!fake.start()) {
    std::fprintf(stderr, "fake: cannot listen\n");
    return 1;
  }
  const auto recordings = std::filesystem::temp_directory_path() / "mediaflow-agent-bench";
  g_setenv("ELEVENLABS_WS_URL", fake.ws_url().c_str(), TRUE);
  g_setenv("ELEVENLABS_AGENT_ID", "agent_test", TRUE);
  g_setenv("RECORDINGS_DIR", recordings.c_str(), TRUE);
  mediaflow::server::ServerConfig config;
  config.bind = "127.0.0.1";
  config.port = 0;
  config.pipelines_dir = std::filesystem::path(MEDIAFLOW_SOURCE_DIR) / "pipelines";
  config.recordings_dir = recordings;
  config.max_concurrent_calls = unsigned(load + 10);
  config.workers = std::max(1u, std::thread::hardware_concurrency());
  auto catalog = std::make_shared<mediaflow::pipeline::PipelineCatalog>(config.pipelines_dir);
  catalog->reload();
  mediaflow::server::Host host(config, catalog);
  std::string error;
  if (!host.start(&error)) {
    std::fprintf(stderr, "host: %s\n", error.c_str());
    return 1;
  }

  // Background calls: real-time caller audio, a greeting and pings from the agent.
  std::atomic<bool> stop{false};
  std::vector<std::thread> background;
  for (int b = 0; b < load; ++b) {
    background.emplace_back([&, b] {
      RawWebSocket ws;
      const std::string call = "B" + std::to_string(b);
      if (!open_call(ws, host.port(), call)) return;
      for (std::uint64_t i = 0; !stop; ++i) {
        send_frame(ws, call, i);
        while (ws.read_frame(0)) {
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
    });
  }
  fake.set_auto_reply(load > 0, 1000);
  fake.set_ping_interval_ms(load > 0 ? 500 : 0);
  if (load) std::this_thread::sleep_for(std::chrono::seconds(2));  // let them settle

  // The measured call: it is the conversation opened last.
  RawWebSocket ws;
  const std::string call = "M0000000000000000000000000000001";
  fake.set_auto_reply(false);
  if (!open_call(ws, host.port(), call)) {
    std::fprintf(stderr, "cannot open the measured call\n");
    return 1;
  }
  send_frame(ws, call, 0);
  const std::size_t index = std::size_t(load);  // background conversations opened first
  if (!FakeElevenLabs::wait_until([&] {
        auto c = fake.conversations();
        return c.size() > index && c[index].metadata_sent;
      }, 5000)) {
    std::fprintf(stderr, "the measured conversation did not start\n");
    return 1;
  }

  std::vector<double> audio_ms, clear_ms;
  const auto chunk = FakeElevenLabs::agent_audio("ulaw_8000", 200, 1);
  for (int r = 0; r < rounds; ++r) {
    send_frame(ws, call, std::uint64_t(r + 1));
    const auto t0 = Clock::now();
    fake.send_audio(index, chunk, std::uint64_t(2 * r + 1));
    if (auto t = wait_event(ws, "media")) audio_ms.push_back(std::chrono::duration<double, std::milli>(*t - t0).count());
    wait_event(ws, "mark");
    const auto t1 = Clock::now();
    fake.send_interruption(index, std::uint64_t(2 * r + 1));
    if (auto t = wait_event(ws, "clear")) clear_ms.push_back(std::chrono::duration<double, std::milli>(*t - t1).count());
  }
  std::printf("calls: 1 measured + %d background; rounds: %d\n", load, rounds);
  report("(a) interruption sent -> clear received", clear_ms);
  report("(b) audio event sent -> first media received", audio_ms);
  stop = true;
  for (auto& t : background) t.join();
  ws.close_socket();
  host.stop();
  fake.stop();
  std::filesystem::remove_all(recordings);
  return 0;
}
