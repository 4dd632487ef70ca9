// The RFC 6455 frame reader (protocol::websocket::MessageReader) in one role, chosen at build
// time: WEBSOCKET_ROLE_SERVER reads what a caller sends (the host), otherwise what a vendor
// server sends (the vendor client). TCP hands bytes over in any chunking, so the stream is fed
// in the chunk sizes the input picks and must give exactly the messages and error it gives
// when fed at once. Input: byte 0 = message cap (2 bits) and number of chunk sizes (3 bits),
// then that many chunk sizes (0 = 300 bytes), then the stream.
#include "fuzz_check.hpp"

#include <mediaflow/protocol/websocket_frame.hpp>

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace ws = mediaflow::protocol::websocket;

namespace {

#ifdef WEBSOCKET_ROLE_SERVER
constexpr auto kRole = ws::MessageReader::Role::kServer;
#else
constexpr auto kRole = ws::MessageReader::Role::kClient;
#endif

struct Transcript {
  std::vector<std::pair<ws::Opcode, std::string>> messages;
  std::optional<std::uint16_t> error_code;
};

bool is_control(ws::Opcode op) { return op == ws::Opcode::kClose || op == ws::Opcode::kPing || op == ws::Opcode::kPong; }

// Feeds `stream` in chunks of the given sizes (cycled; empty: all at once).
Transcript read_all(std::vector<std::uint8_t> stream, std::size_t cap, const std::vector<std::size_t>& chunks) {
  ws::MessageReader reader(kRole, cap);
  Transcript out;
  auto on_message = [&](const ws::Message& m) {
    FUZZ_CHECK(m.opcode != ws::Opcode::kContinuation, "a continuation handed out as a message");
    if (is_control(m.opcode)) FUZZ_CHECK(m.payload.size() <= ws::kMaxControlPayload, "oversized control frame accepted");
    else FUZZ_CHECK(m.payload.size() <= cap, "message over the cap accepted");
    out.messages.emplace_back(m.opcode, std::string(m.payload.begin(), m.payload.end()));
    return true;
  };
  std::size_t pos = 0;
  for (std::size_t i = 0; pos < stream.size(); ++i) {
    const std::size_t n = chunks.empty() ? stream.size() : std::min(chunks[i % chunks.size()], stream.size() - pos);
    const auto err = reader.feed(std::span<std::uint8_t>(stream.data() + pos, n), on_message);
    pos += n;
    if (err) {
      out.error_code = err->code;
      FUZZ_CHECK(err->reason != nullptr, "error without a reason");
      break;
    }
    // Memory the reader holds between reads: one unfinished frame and one unfinished message.
    FUZZ_CHECK(reader.buffered_bytes() <= 2 * cap + ws::kMaxHeaderBytes + ws::kMaxControlPayload,
               "reader holds more than a frame and a message");
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  static constexpr std::array<std::size_t, 4> kCaps = {16, 200, 4096, 1 << 20};
  const std::size_t cap = kCaps[data[0] & 3];
  const std::size_t chunk_count = std::min<std::size_t>((data[0] >> 2) & 7, size - 1);
  std::vector<std::size_t> chunks;
  for (std::size_t i = 0; i < chunk_count; ++i) chunks.push_back(data[1 + i] ? data[1 + i] : 300);
  const std::vector<std::uint8_t> stream(data + 1 + chunk_count, data + size);

  const Transcript whole = read_all(stream, cap, {});
  const Transcript chunked = read_all(stream, cap, chunks);
  FUZZ_CHECK(chunked.messages == whole.messages, "chunking changed the messages");
  FUZZ_CHECK(chunked.error_code == whole.error_code, "chunking changed the error");
  return 0;
}
