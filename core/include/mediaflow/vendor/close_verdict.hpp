// Whether a connection the vendor closed is worth another attempt: what a vendor's codec says
// about its close codes, and what the streaming session (streaming_session.hpp) acts on.
// Plain C++, no GStreamer.
#pragma once

namespace mediaflow::vendor {

struct CloseVerdict {
  const char* reason = nullptr;  // human-readable, for logs and the element's warning or error
  bool retry = true;             // false: a new connection would fail the same way (auth, our bug)
};

}  // namespace mediaflow::vendor
