// Twilio captures: a whole Media Stream as Twilio would send it, one JSON message per line
// (connected, start, media×N, stop). Replayed by `twiliosrc location=…`, produced by the
// `wav2capture` tool, the call simulator and tests.
#pragma once

#include <mediaflow/protocol/twilio_envelope.hpp>

#include <cstdint>
#include <span>
#include <string>

namespace mediaflow::protocol::twilio {

struct CaptureOptions {
  std::string stream_sid = "MZ00000000000000000000000000000000";
  std::string call_sid = "CA00000000000000000000000000000000";
  std::string account_sid = "AC00000000000000000000000000000000";
  std::string track = "inbound";
  std::uint32_t frame_ms = 20;  // payload per media message; 1..1000
};

// JSONL text (each line ends with '\n'): connected, start (sequenceNumber "1"), one media per
// frame (the last may be shorter) with chunk from "1" and timestamp = ms of its first sample,
// then stop. mulaw: raw mu-law 8 kHz mono.
std::string build_capture(std::span<const std::uint8_t> mulaw, const CaptureOptions& options);

}  // namespace mediaflow::protocol::twilio
