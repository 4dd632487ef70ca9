#include "loadgen/load_run.hpp"

#include "loadgen/engine.hpp"
#include "loadgen/ws_handshake.hpp"

#include <netdb.h>

#include <algorithm>
#include <cstring>
#include <thread>

namespace mediaflow::bench {

void LoadStats::merge(const LoadStats& other) {
  completed += other.completed;
  refused += other.refused;
  timed_out += other.timed_out;
  for (const auto& [code, n] : other.close_codes) close_codes[code] += n;
  for (const auto& [why, n] : other.errors) errors[why] += n;
  frames_sent += other.frames_sent;
  abnormal += other.abnormal;
  frames_received += other.frames_received;
  frames_matched += other.frames_matched;
  frames_late += other.frames_late;
  vendor_stamped += other.vendor_stamped;
  round_trip.merge(other.round_trip);
  connect.merge(other.connect);
  first_echo.merge(other.first_echo);
  pacing_lag.merge(other.pacing_lag);
  receive_lag.merge(other.receive_lag);
  vendor_latency.merge(other.vendor_latency);
}

bool run_load(const LoadOptions& options, LoadStats* stats, std::string* error) {
  const auto url = parse_ws_url(options.url, error);
  if (!url) return false;
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(url->port);
  if (const int rc = getaddrinfo(url->host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    *error = url->host + ": " + gai_strerror(rc);
    return false;
  }
  sockaddr_storage address{};
  const socklen_t address_len = found->ai_addrlen;
  std::memcpy(&address, found->ai_addr, found->ai_addrlen);
  freeaddrinfo(found);

  const unsigned engines = std::max(1u, std::min(options.threads, options.calls));
  std::vector<std::vector<unsigned>> calls(engines);
  for (unsigned i = 0; i < options.calls; ++i) calls[i % engines].push_back(i);
  std::vector<LoadStats> results(engines);
  const int64_t start_ns = monotonic_ns() + 50'000'000;
  std::vector<std::thread> threads;
  for (unsigned e = 0; e < engines; ++e) {
    threads.emplace_back([&, e] { results[e] = run_engine(options, address, address_len, calls[e], start_ns); });
  }
  for (auto& t : threads) t.join();
  for (const auto& r : results) stats->merge(r);
  return true;
}

}  // namespace mediaflow::bench
