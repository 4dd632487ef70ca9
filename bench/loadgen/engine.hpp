// One load-generator engine: a single thread driving many simulated callers with epoll,
// non-blocking sockets and a min-heap of absolute deadlines (epoll_pwait2's ns timeout is the
// timer). No GLib main loop, no libsoup: the upgrade is written by hand (ws_handshake.hpp),
// frames are encoded/read with protocol/websocket_frame.hpp, messages with the project's Twilio
// and jambonz codecs.
//
// Per call: connect at its ramp slot (TCP_NODELAY), upgrade (jambonz: offering
// audio.jambonz.org, which the host must select), open the call with bench_t0_ns =
// CLOCK_MONOTONIC ns of frame 0 and bench_call = call index among its parameters (Twilio:
// `connected`, `start` with them as customParameters; jambonz: the metadata frame), frame k at
// t0 + k·20 ms (Twilio: a `media` message of 160 mu-law bytes; jambonz: a binary frame of 20 ms
// of PCM at the call's rate), then hang up at t0 + frames·20 ms — Twilio: `stop`, then the host's
// close frame is answered; jambonz: a close 1000 once every frame came back (kHangUpGraceNs at
// most), which the host answers.
#pragma once

#include "loadgen/load_run.hpp"

#include <mediaflow/protocol/vendor_stamp.hpp>

#include <sys/socket.h>

#include <string>
#include <vector>

namespace mediaflow::bench {

// Runs `calls` (indices into the whole run) until all are over; start_ns is the ramp's start.
LoadStats run_engine(const LoadOptions& options, const sockaddr_storage& address,
                     socklen_t address_len, const std::vector<unsigned>& calls, int64_t start_ns);

// CLOCK_MONOTONIC in ns (the clock of bench_t0_ns and of vendor stamps).
using protocol::vendor_stamp::monotonic_ns;

}  // namespace mediaflow::bench
