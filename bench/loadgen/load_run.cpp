#include "loadgen/load_run.hpp"

#include <glib.h>

#include <memory>
#include <thread>

namespace mediaflow::bench {
namespace {

uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// One client thread: its own loop, the calls i with i % threads == index.
struct ClientThread {
  const LoadOptions* options;
  std::vector<unsigned> call_indices;
  std::vector<dial::CallResult>* results;  // indexed by call
  GMainContext* ctx = nullptr;
  GMainLoop* loop = nullptr;
  std::vector<std::unique_ptr<dial::TwilioCaller>> callers;
  size_t next = 0;
  size_t done = 0;
  int64_t t0_us = 0;

  void run(int64_t start_us) {
    ctx = g_main_context_new();
    g_main_context_push_thread_default(ctx);
    loop = g_main_loop_new(ctx, FALSE);
    t0_us = start_us;
    GSource* ticker = g_timeout_source_new(2);
    g_source_set_callback(ticker, [](gpointer self) -> gboolean {
      return static_cast<ClientThread*>(self)->start_due() ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
    }, this, nullptr);
    g_source_attach(ticker, ctx);
    g_source_unref(ticker);
    if (!call_indices.empty()) g_main_loop_run(loop);
    callers.clear();
    while (g_main_context_pending(ctx)) g_main_context_iteration(ctx, FALSE);
    g_main_loop_unref(loop);
    g_main_context_pop_thread_default(ctx);
    g_main_context_unref(ctx);
  }

  // Starts every call whose ramp time has come; false once all are started.
  bool start_due() {
    const LoadOptions& o = *options;
    const int64_t now = g_get_monotonic_time();
    while (next < call_indices.size()) {
      const unsigned call = call_indices[next];
      const int64_t due = t0_us + static_cast<int64_t>(o.ramp_seconds * 1e6 * call / o.calls);
      if (due > now) return true;
      ++next;
      dial::CallerOptions c;
      c.url = o.url;
      c.headers = o.headers;
      c.custom_parameters = o.custom_parameters;
      char sid[40];
      g_snprintf(sid, sizeof sid, "CA%032x", call + 1);
      c.call_sid = sid;
      g_snprintf(sid, sizeof sid, "MZ%032x", call + 1);
      c.stream_sid = sid;
      c.frame_count = static_cast<uint64_t>(o.duration_seconds * 50 + 0.5);
      c.frame_source = [call](uint64_t frame, std::span<uint8_t> out) { fill_unique_frame(call, frame, out); };
      c.keep_received_audio = false;
      c.keep_events = false;
      c.close_timeout_seconds = o.close_timeout_seconds;
      c.connect_timeout_seconds = 30;
      auto caller = std::make_unique<dial::TwilioCaller>(ctx, std::move(c));
      caller->start([this, call](const dial::CallResult& r) {
        (*results)[call] = r;
        if (++done == call_indices.size()) g_main_loop_quit(loop);
      });
      callers.push_back(std::move(caller));
    }
    return false;
  }
};

}  // namespace

void fill_unique_frame(unsigned call, uint64_t frame, std::span<uint8_t> out) {
  uint64_t state = (static_cast<uint64_t>(call) << 40) ^ frame;
  for (size_t i = 0; i < out.size(); i += 8) {
    uint64_t v = splitmix64(state);
    for (size_t j = 0; j < 8 && i + j < out.size(); ++j) out[i + j] = static_cast<uint8_t>(v >> (8 * j));
  }
}

std::vector<dial::CallResult> run_load(const LoadOptions& options) {
  std::vector<dial::CallResult> results(options.calls);
  const unsigned nthreads = std::max(1u, std::min(options.threads, options.calls));
  std::vector<ClientThread> clients(nthreads);
  for (unsigned i = 0; i < options.calls; ++i) clients[i % nthreads].call_indices.push_back(i);
  const int64_t start_us = g_get_monotonic_time() + 50000;
  std::vector<std::thread> threads;
  for (auto& c : clients) {
    c.options = &options;
    c.results = &results;
    threads.emplace_back([&c, start_us] { c.run(start_us); });
  }
  for (auto& t : threads) t.join();
  return results;
}

}  // namespace mediaflow::bench
