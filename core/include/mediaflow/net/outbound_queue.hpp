// What a non-blocking socket has not taken yet, in order: the WebSocket engine
// (WebSocketStream, for the host's callers and the vendor clients alike) writes a frame at once
// and keeps only the rest here until epoll reports the socket writable.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace mediaflow::net {

class OutboundQueue {
 public:
  std::size_t size() const { return bytes_.size() - sent_; }
  bool empty() const { return size() == 0; }
  // The next bytes to write.
  const char* data() const { return bytes_.data() + sent_; }
  // Appends behind what is queued (e.g. ws::append_frame(queue.storage(), …)).
  std::string& storage() { return bytes_; }
  void append(std::string_view bytes) { bytes_.append(bytes); }
  // `n` bytes of data() were written. Once all are, the storage is reset, and a burst's large
  // buffer is not kept for the rest of the connection.
  void consume(std::size_t n) {
    sent_ += n;
    if (sent_ < bytes_.size()) return;
    clear();
    if (bytes_.capacity() > kKeptCapacity) std::string().swap(bytes_);
  }
  void clear() {
    bytes_.clear();
    sent_ = 0;
  }

 private:
  static constexpr std::size_t kKeptCapacity = 4 * 1024;  // a few frames; a call has thousands of sockets beside it
  std::string bytes_;
  std::size_t sent_ = 0;  // bytes of bytes_ already written
};

}  // namespace mediaflow::net
