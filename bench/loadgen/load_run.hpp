// Runs N simulated callers against a host from one or two client threads (each its own
// GMainContext), starting them evenly over a ramp, and collects their results.
#pragma once

#include <mediaflow/dial/twilio_caller.hpp>

#include <span>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace mediaflow::bench {

struct LoadOptions {
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::map<std::string, std::string> custom_parameters;  // pipeline=…
  unsigned calls = 10;
  double ramp_seconds = 1;      // call i starts at i * ramp / calls
  double duration_seconds = 10; // audio per call, real time
  unsigned threads = 1;
  double close_timeout_seconds = 15;
};

// Frame `frame` of call `call`: 160 bytes nobody else sends, so echoes match exactly one frame.
void fill_unique_frame(unsigned call, uint64_t frame, std::span<uint8_t> out);

// Blocks until every call is over; results are indexed by call.
std::vector<dial::CallResult> run_load(const LoadOptions& options);

}  // namespace mediaflow::bench
