// Runs N simulated callers (Twilio Media Streams or jambonz listen) against a host: `threads`
// independent engines (engine.hpp), the calls split between them (call i on engine i % threads),
// started evenly over a ramp.
#pragma once

#include "loadgen/histogram.hpp"

#include <mediaflow/dial/caller.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace mediaflow::bench {

struct LoadOptions {
  dial::CallProtocol protocol = dial::CallProtocol::kTwilio;
  unsigned sample_rate = 8000;  // jambonz sampleRate (mono 16-bit PCM); Twilio is 8 kHz mu-law
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;  // upgrade request headers
  std::map<std::string, std::string> custom_parameters;      // pipeline=…; bench_* are added
  unsigned calls = 10;
  double ramp_seconds = 1;       // call i connects at i * ramp / calls
  double duration_seconds = 10;  // audio per call, real time
  unsigned threads = 1;
  double connect_timeout_seconds = 30;
  double close_timeout_seconds = 15;  // stop → the host's close frame
  bool match_echo = true;      // identify echoed frames (round trip, lost); off with `audio`
  bool vendor_stamps = false;  // look for MFTS stamps in received audio (protocol/vendor_stamp.hpp)
  std::vector<uint8_t> audio;  // clip in the call's wire format, looped as every call's audio; empty: unique pattern
  // Every Nth call ends the way real calls sometimes do (0: none), in turn: the caller vanishes
  // mid-call (TCP gone, no close frame), closes mid-call without `stop`, or never sends
  // `start` (jambonz: the metadata) and vanishes after a second. Such calls are counted apart and their audio is not
  // echo-checked.
  unsigned abnormal_every = 0;
};

struct LoadStats {
  unsigned completed = 0;  // connected, closed 1000 by the host, not timed out
  unsigned refused = 0;    // never connected (TCP or upgrade failed / timed out)
  unsigned timed_out = 0;  // the host did not close within close_timeout after hanging up
  unsigned abnormal = 0;   // ended abnormally on purpose (LoadOptions::abnormal_every)
  std::map<unsigned, unsigned> close_codes;  // of connected calls (1006: no close frame)
  std::map<std::string, unsigned> errors;    // why calls failed, counted
  uint64_t frames_sent = 0;
  uint64_t frames_received = 0;  // audio messages from the host (`media`, jambonz binary frames)
  uint64_t frames_matched = 0;   // echoed frames identified as ours
  uint64_t frames_late = 0;      // matched with round trip > kLateMs
  uint64_t vendor_stamped = 0;   // received frames carrying a vendor stamp
  LatencyHistogram round_trip;   // send → echo arrived at our socket, per matched frame
  LatencyHistogram connect;      // connect start → 101 received
  LatencyHistogram first_echo;   // first frame sent → first matched frame back
  LatencyHistogram pacing_lag;   // scheduled → actual send, per frame (the loadgen's own lag)
  LatencyHistogram receive_lag;  // arrived at our socket → read, per media message (ditto)
  LatencyHistogram vendor_latency;  // vendor stamp → arrived at our socket, per stamped frame

  void merge(const LoadStats& other);
};

constexpr double kLateMs = 40;

// Blocks until every call is over. Returns false with *error when the URL is unusable.
bool run_load(const LoadOptions& options, LoadStats* stats, std::string* error);

}  // namespace mediaflow::bench
