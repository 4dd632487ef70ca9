// A deliberately low-level WebSocket client for guard tests: it writes frames byte by byte
// (fragmented messages, oversized frames, binary opcodes) that a normal client library will
// not produce, and reads the server's frames including the close code. Blocking, with
// timeouts; loopback only.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace mediaflow::test {

struct WsFrame {
  bool fin = true;
  uint8_t opcode = 0;  // 1 text, 2 binary, 8 close, 9 ping, 10 pong
  std::string payload;
  uint16_t close_code() const;  // for opcode 8
};

class RawWebSocket {
 public:
  RawWebSocket() = default;
  ~RawWebSocket();
  RawWebSocket(const RawWebSocket&) = delete;
  RawWebSocket& operator=(const RawWebSocket&) = delete;

  // Before connect(): a small SO_RCVBUF, so a client that stops reading is noticed by the
  // server after kilobytes rather than after the megabytes loopback autotuning allows.
  void limit_receive_buffer(int bytes) { receive_buffer_bytes_ = bytes; }

  // Performs the HTTP upgrade. Returns the HTTP status (101 on success, 401, 404…).
  int connect(uint16_t port, const std::string& path_and_query,
              const std::map<std::string, std::string>& headers = {});

  bool send_frame(uint8_t opcode, const std::string& payload, bool fin = true);
  bool send_text(const std::string& text) { return send_frame(1, text); }
  // Bytes exactly as given (frames no client may send: unmasked, bad opcodes…).
  bool send_raw(const std::string& bytes) { return write_all(bytes.data(), bytes.size()); }

  // Next frame from the server (pings answered transparently), or nullopt on timeout/EOF.
  std::optional<WsFrame> read_frame(int timeout_ms = 5000);
  // Reads until a close frame arrives; returns its code (0 when the socket ended without one).
  uint16_t wait_close(int timeout_ms = 5000, std::vector<WsFrame>* others = nullptr);
  // Same, returning the whole close frame (code + reason); answers it like a browser would.
  std::optional<WsFrame> wait_close_frame(int timeout_ms = 5000, std::vector<WsFrame>* others = nullptr);

  // Reads and drops until the connection ends: 0 for a clean end of stream (the server's FIN),
  // the errno when it was reset (ECONNRESET), -1 when it did not end within the timeout.
  int read_until_end(int timeout_ms = 5000);
  // Half-closes: a FIN to the server, reading stays possible.
  void shutdown_write();

  // Drops the TCP connection with no close frame (a vanished client).
  void close_socket();
  unsigned pings_answered() const { return pings_answered_; }

 private:
  bool read_exact(void* buf, size_t n, int timeout_ms);
  bool write_all(const void* buf, size_t n);
  int fd_ = -1;
  int receive_buffer_bytes_ = 0;  // 0 = kernel default
  std::string pending_;           // bytes read past the HTTP response
  unsigned pings_answered_ = 0;
};

}  // namespace mediaflow::test
