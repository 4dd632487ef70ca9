// RFC 6455 framing, plain C++: encoding frames and reading a byte stream back into messages.
// The host uses it for the media path after libsoup has done the HTTP upgrade (a Twilio call
// is ~50 small text frames a second; libsoup's per-frame machinery was most of the host's CPU,
// see docs/benchmarks.md); the load generator uses it for its simulated callers.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include <mediaflow/protocol/utf8.hpp>

namespace mediaflow::protocol::websocket {

enum class Opcode : std::uint8_t {
  kContinuation = 0x0,
  kText = 0x1,
  kBinary = 0x2,
  kClose = 0x8,
  kPing = 0x9,
  kPong = 0xA,
};

// Close codes used here (RFC 6455 §7.4.1 and the IANA registry).
namespace close_code {
constexpr std::uint16_t kNormal = 1000;
constexpr std::uint16_t kGoingAway = 1001;
constexpr std::uint16_t kProtocolError = 1002;
constexpr std::uint16_t kUnsupportedData = 1003;
constexpr std::uint16_t kNoStatus = 1005;  // never sent: "the close frame had no code"
constexpr std::uint16_t kAbnormal = 1006;  // never sent: "the connection ended without a close frame"
constexpr std::uint16_t kInvalidPayload = 1007;  // e.g. a text message that is not UTF-8 (§8.1)
constexpr std::uint16_t kPolicyViolation = 1008;
constexpr std::uint16_t kTooBig = 1009;
constexpr std::uint16_t kServerError = 1011;
constexpr std::uint16_t kTryAgainLater = 1013;
}  // namespace close_code

using MaskKey = std::array<std::uint8_t, 4>;

// Longest header: 2 + 8 (64-bit length) + 4 (mask key).
constexpr std::size_t kMaxHeaderBytes = 14;
// Control frames carry at most 125 bytes; a close reason therefore at most 123.
constexpr std::size_t kMaxControlPayload = 125;

// Writes the header of one final frame carrying `length` payload bytes into `out`; returns its
// size. For senders that write the payload from where it already is (writev).
std::size_t encode_header(std::uint8_t (&out)[kMaxHeaderBytes], Opcode opcode, std::size_t length,
                          const MaskKey* mask = nullptr);
// Appends one final frame. With `mask`, the payload is masked as a client must (RFC 6455 §5.3).
void append_frame(std::string& out, Opcode opcode, std::string_view payload,
                  const MaskKey* mask = nullptr);
// A close frame's payload: the code, then the reason cut to 123 bytes (on a UTF-8 boundary).
std::string close_payload(std::uint16_t code, std::string_view reason);
// Appends a close frame with that payload.
void append_close_frame(std::string& out, std::uint16_t code, std::string_view reason,
                        const MaskKey* mask = nullptr);
// XORs `data` with the key, starting at key position `offset % 4`.
void apply_mask(std::span<std::uint8_t> data, const MaskKey& key, std::size_t offset = 0);

// Whether `code` may travel in a close frame (RFC 6455 §7.4.1/§7.4.2 and the IANA registry):
// 1000–1003, 1007–1014 and 3000–4999. 1004–1006, 1015 and 1016–2999 are reserved or
// unassigned, 0–999 and 5000+ are not used. close_payload() never puts another code on the
// wire (it sends 1011 instead).
bool is_valid_close_code(std::uint16_t code);

// What the reader found wrong: the close code to answer with and why.
struct ReadError {
  std::uint16_t code;
  const char* reason;  // static text
};

// Code and reason of a received close frame's payload; 1005 when it carried none.
struct ClosePayload {
  std::uint16_t code = close_code::kNoStatus;
  std::string_view reason;
};
// What is wrong with a received close frame's payload, nullopt when nothing is: one byte or a
// code that may not be sent → 1002, a reason that is not UTF-8 → 1007 (§5.5.1, §7.4, §8.1).
std::optional<ReadError> check_close_payload(std::string_view payload);
// nullopt when check_close_payload() finds it wrong.
std::optional<ClosePayload> parse_close_payload(std::string_view payload);
// The payload of the close frame that answers a received one (RFC 6455 §5.5.1): its code, no
// reason; empty when it carried no code; the code check_close_payload() names when it is wrong.
std::string close_echo_payload(std::string_view received_payload);

// A complete message or control frame handed out by MessageReader. `payload` points into the
// reader's (or the caller's) buffer: valid only during the on_message call.
struct Message {
  Opcode opcode;  // kText, kBinary, kClose, kPing or kPong (never kContinuation)
  std::span<std::uint8_t> payload;
};

// Turns a stream of bytes into messages: checks the frame rules, unmasks in place, reassembles
// fragmented messages and enforces a cap on a message's *total* size before buffering it
// (a 1 MB message in 4 KB fragments is refused at the fragment that crosses the cap). Text
// messages must be UTF-8 (1007; a fragmented one fails at the first fragment that proves it
// wrong) and close frames must pass check_close_payload(), so what it hands out is valid.
// Bytes of a frame that is not complete yet are kept until the next feed().
class MessageReader {
 public:
  enum class Role {
    kServer,  // reading what a client sent: every frame must be masked
    kClient,  // reading what a server sent: no frame may be masked
  };

  MessageReader(Role role, std::size_t max_message_bytes)
      : role_(role), max_message_bytes_(max_message_bytes) {}

  // Consumes `data` (modified: unmasked in place) and calls `on_message(const Message&)` for
  // every complete message; on_message returns false to stop reading (the rest is dropped).
  // Returns the first protocol error, after which the reader must not be fed again.
  template <typename OnMessage>
  std::optional<ReadError> feed(std::span<std::uint8_t> data, OnMessage&& on_message);

  // Bytes held for an unfinished frame or message (memory accounting, tests).
  std::size_t buffered_bytes() const { return partial_.size() + fragments_.size(); }

 private:
  enum class Step { kNeedMore, kMessage, kFragmentStored, kError };
  // Parses one frame at the front of `data`; on kMessage fills *msg; *consumed bytes used.
  Step next(std::span<std::uint8_t> data, std::size_t* consumed, Message* msg, ReadError* err);

  Role role_;
  std::size_t max_message_bytes_;
  std::string partial_;     // an incomplete frame carried over to the next feed()
  std::string fragments_;   // payload of a fragmented message so far
  Opcode fragment_opcode_ = Opcode::kContinuation;  // kContinuation: none in progress
  Utf8Stream fragments_utf8_;  // a fragmented text message checked as it arrives
  bool release_fragments_ = false;  // the message just handed out lives in fragments_
  bool failed_ = false;
};

template <typename OnMessage>
std::optional<ReadError> MessageReader::feed(std::span<std::uint8_t> data, OnMessage&& on_message) {
  if (failed_) return ReadError{close_code::kProtocolError, "read after error"};
  // Usual case: nothing carried over, frames are parsed straight from the caller's buffer.
  std::span<std::uint8_t> input = data;
  if (!partial_.empty()) {
    partial_.append(reinterpret_cast<const char*>(data.data()), data.size());
    input = std::span<std::uint8_t>(reinterpret_cast<std::uint8_t*>(partial_.data()), partial_.size());
  }
  std::size_t pos = 0;
  bool carried = !partial_.empty();
  while (pos < input.size()) {
    std::size_t consumed = 0;
    Message msg{};
    ReadError err{};
    Step step = next(input.subspan(pos), &consumed, &msg, &err);
    if (step == Step::kError) {
      failed_ = true;
      partial_.clear();
      fragments_.clear();
      return err;
    }
    if (step == Step::kNeedMore) break;
    pos += consumed;
    if (step != Step::kMessage) continue;
    const bool keep_reading = on_message(static_cast<const Message&>(msg));
    if (release_fragments_) {
      fragments_.clear();
      release_fragments_ = false;
    }
    if (!keep_reading) {
      partial_.clear();
      return std::nullopt;
    }
  }
  if (carried) {
    partial_.erase(0, pos);
  } else if (pos < input.size()) {
    partial_.assign(reinterpret_cast<const char*>(input.data() + pos), input.size() - pos);
  }
  return std::nullopt;
}

}  // namespace mediaflow::protocol::websocket
