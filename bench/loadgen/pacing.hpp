// When the load generator does what: call c's connect is due at its ramp slot
// (start + ramp·c/calls, so the host sees uniform arrivals, not bursts), and frame k of a call
// at t0 + k·20 ms, t0 being the call's slot plus a setup lead (or the moment the WebSocket
// opened, if setup took longer). Deadlines are absolute: a late send never shifts later ones.
#pragma once

#include <cstdint>

#include <mediaflow/protocol/vendor_stamp.hpp>

namespace mediaflow::bench {

using protocol::vendor_stamp::kFrameNs;  // 160 mu-law bytes at 8 kHz
// Time from a call's slot to its frame 0, for the upgrade and `connected`/`start`.
constexpr int64_t kSetupLeadNs = 50'000'000;

constexpr int64_t call_slot_ns(int64_t start_ns, int64_t ramp_ns, unsigned calls, unsigned call) {
  return calls ? start_ns + static_cast<int64_t>(static_cast<__int128>(ramp_ns) * call / calls) : start_ns;
}

constexpr int64_t call_t0_ns(int64_t slot_ns, int64_t opened_ns) {
  return opened_ns > slot_ns + kSetupLeadNs ? opened_ns : slot_ns + kSetupLeadNs;
}

constexpr int64_t frame_due_ns(int64_t t0_ns, uint64_t frame) {
  return t0_ns + static_cast<int64_t>(frame) * kFrameNs;
}

// Frames a call sends for `duration_s` of audio.
constexpr uint64_t frames_for(double duration_s) {
  return static_cast<uint64_t>(duration_s * 50 + 0.5);
}

}  // namespace mediaflow::bench
