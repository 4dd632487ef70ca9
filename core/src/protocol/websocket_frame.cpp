#include <mediaflow/protocol/websocket_frame.hpp>

#include <mediaflow/protocol/utf8.hpp>

#include <cstring>

namespace mediaflow::protocol::websocket {
namespace {

constexpr std::uint8_t kFin = 0x80;
constexpr std::uint8_t kReservedBits = 0x70;
constexpr std::uint8_t kMaskBit = 0x80;

bool is_control(Opcode op) { return static_cast<std::uint8_t>(op) & 0x8; }

bool is_known(std::uint8_t op) {
  switch (static_cast<Opcode>(op)) {
    case Opcode::kContinuation:
    case Opcode::kText:
    case Opcode::kBinary:
    case Opcode::kClose:
    case Opcode::kPing:
    case Opcode::kPong:
      return true;
  }
  return false;
}

// Length of the longest prefix of `text` (at most `limit` bytes) that does not split a UTF-8
// sequence.
std::size_t utf8_prefix(std::string_view text, std::size_t limit) {
  if (text.size() <= limit) return text.size();
  std::size_t n = limit;
  while (n > 0 && (static_cast<std::uint8_t>(text[n]) & 0xC0) == 0x80) --n;
  return n;
}

}  // namespace

std::size_t encode_header(std::uint8_t (&header)[kMaxHeaderBytes], Opcode opcode, std::size_t length,
                          const MaskKey* mask) {
  std::size_t n = 0;
  header[n++] = static_cast<std::uint8_t>(kFin | static_cast<std::uint8_t>(opcode));
  const std::uint8_t mask_bit = mask ? kMaskBit : 0;
  if (length < 126) {
    header[n++] = static_cast<std::uint8_t>(mask_bit | length);
  } else if (length <= 0xFFFF) {
    header[n++] = static_cast<std::uint8_t>(mask_bit | 126);
    header[n++] = static_cast<std::uint8_t>(length >> 8);
    header[n++] = static_cast<std::uint8_t>(length & 0xFF);
  } else {
    header[n++] = static_cast<std::uint8_t>(mask_bit | 127);
    for (int shift = 56; shift >= 0; shift -= 8) header[n++] = static_cast<std::uint8_t>((std::uint64_t(length) >> shift) & 0xFF);
  }
  if (mask) {
    std::memcpy(header + n, mask->data(), 4);
    n += 4;
  }
  return n;
}

void apply_mask(std::span<std::uint8_t> data, const MaskKey& key, std::size_t offset) {
  std::size_t i = 0;
  // Whole 8-byte words first (the key repeated twice, rotated to the offset).
  std::uint8_t rotated[8];
  for (int k = 0; k < 8; ++k) rotated[k] = key[(offset + k) % 4];
  std::uint64_t word_key;
  std::memcpy(&word_key, rotated, 8);
  for (; i + 8 <= data.size(); i += 8) {
    std::uint64_t w;
    std::memcpy(&w, data.data() + i, 8);
    w ^= word_key;
    std::memcpy(data.data() + i, &w, 8);
  }
  for (; i < data.size(); ++i) data[i] ^= key[(offset + i) % 4];
}

void append_frame(std::string& out, Opcode opcode, std::string_view payload, const MaskKey* mask) {
  std::uint8_t header[kMaxHeaderBytes];
  out.append(reinterpret_cast<const char*>(header), encode_header(header, opcode, payload.size(), mask));
  const std::size_t start = out.size();
  out.append(payload);
  if (mask) {
    apply_mask(std::span<std::uint8_t>(reinterpret_cast<std::uint8_t*>(out.data() + start), payload.size()), *mask);
  }
}

bool is_valid_close_code(std::uint16_t code) {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

std::string close_payload(std::uint16_t code, std::string_view reason) {
  if (!is_valid_close_code(code)) code = close_code::kServerError;  // never a forbidden code on the wire
  std::string payload;
  payload.push_back(static_cast<char>(code >> 8));
  payload.push_back(static_cast<char>(code & 0xFF));
  payload.append(reason.substr(0, utf8_prefix(reason, kMaxControlPayload - 2)));
  return payload;
}

void append_close_frame(std::string& out, std::uint16_t code, std::string_view reason, const MaskKey* mask) {
  append_frame(out, Opcode::kClose, close_payload(code, reason), mask);
}

std::optional<ReadError> check_close_payload(std::string_view payload) {
  if (payload.empty()) return std::nullopt;
  if (payload.size() == 1) return ReadError{close_code::kProtocolError, "close frame with a 1-byte payload"};
  const auto code = static_cast<std::uint16_t>((static_cast<std::uint8_t>(payload[0]) << 8) |
                                               static_cast<std::uint8_t>(payload[1]));
  if (!is_valid_close_code(code)) return ReadError{close_code::kProtocolError, "close code not allowed"};
  if (!is_valid_utf8(payload.substr(2))) return ReadError{close_code::kInvalidPayload, "close reason not UTF-8"};
  return std::nullopt;
}

std::string close_echo_payload(std::string_view received_payload) {
  if (auto bad = check_close_payload(received_payload)) return close_payload(bad->code, {});
  auto received = parse_close_payload(received_payload);
  if (!received || received->code == close_code::kNoStatus) return {};
  return close_payload(received->code, {});
}

std::optional<ClosePayload> parse_close_payload(std::string_view payload) {
  if (check_close_payload(payload)) return std::nullopt;
  if (payload.empty()) return ClosePayload{};
  ClosePayload close;
  close.code = static_cast<std::uint16_t>((static_cast<std::uint8_t>(payload[0]) << 8) |
                                          static_cast<std::uint8_t>(payload[1]));
  close.reason = payload.substr(2);
  return close;
}

MessageReader::Step MessageReader::next(std::span<std::uint8_t> data, std::size_t* consumed, Message* msg,
                                        ReadError* err) {
  if (data.size() < 2) return Step::kNeedMore;
  const std::uint8_t b0 = data[0];
  const std::uint8_t b1 = data[1];
  const bool fin = b0 & kFin;
  const std::uint8_t raw_opcode = b0 & 0x0F;
  const bool masked = b1 & kMaskBit;
  if (b0 & kReservedBits) {  // no extension is negotiated, so no RSV bit may be set
    *err = {close_code::kProtocolError, "reserved bits set"};
    return Step::kError;
  }
  if (!is_known(raw_opcode)) {
    *err = {close_code::kProtocolError, "unknown opcode"};
    return Step::kError;
  }
  if (masked != (role_ == Role::kServer)) {
    *err = {close_code::kProtocolError, role_ == Role::kServer ? "client frame not masked" : "server frame masked"};
    return Step::kError;
  }
  const Opcode opcode = static_cast<Opcode>(raw_opcode);
  std::size_t header = 2;
  std::uint64_t length = b1 & 0x7F;
  if (length == 126) {
    if (data.size() < 4) return Step::kNeedMore;
    length = (std::uint64_t(data[2]) << 8) | data[3];
    header = 4;
  } else if (length == 127) {
    if (data.size() < 10) return Step::kNeedMore;
    length = 0;
    for (int i = 0; i < 8; ++i) length = (length << 8) | data[2 + i];
    header = 10;
    if (length >> 63) {
      *err = {close_code::kProtocolError, "frame length out of range"};
      return Step::kError;
    }
  }
  if (is_control(opcode) && (!fin || length > kMaxControlPayload)) {
    *err = {close_code::kProtocolError, "bad control frame"};
    return Step::kError;
  }
  if (!is_control(opcode)) {
    const bool continuing = fragment_opcode_ != Opcode::kContinuation;
    if (opcode == Opcode::kContinuation && !continuing) {
      *err = {close_code::kProtocolError, "continuation without a message"};
      return Step::kError;
    }
    if (opcode != Opcode::kContinuation && continuing) {
      *err = {close_code::kProtocolError, "new message inside a fragmented one"};
      return Step::kError;
    }
    // The cap counts what this message would hold with this frame: checked on the header,
    // before a single payload byte is buffered.
    if (fragments_.size() + length > max_message_bytes_) {
      *err = {close_code::kTooBig, "message too big"};
      return Step::kError;
    }
  }
  MaskKey key{};
  if (masked) {
    if (data.size() < header + 4) return Step::kNeedMore;
    std::memcpy(key.data(), data.data() + header, 4);
    header += 4;
  }
  if (data.size() - header < length) return Step::kNeedMore;
  std::span<std::uint8_t> payload = data.subspan(header, static_cast<std::size_t>(length));
  if (masked) apply_mask(payload, key);
  *consumed = header + static_cast<std::size_t>(length);

  const std::string_view text(reinterpret_cast<const char*>(payload.data()), payload.size());
  if (is_control(opcode)) {
    if (opcode == Opcode::kClose) {
      if (auto bad = check_close_payload(text)) {
        *err = *bad;
        return Step::kError;
      }
    }
    *msg = {opcode, payload};
    return Step::kMessage;
  }
  if (opcode != Opcode::kContinuation && fin) {  // the usual case: a whole message in one frame
    if (opcode == Opcode::kText && !is_valid_utf8(text)) {
      *err = {close_code::kInvalidPayload, "text message not UTF-8"};
      return Step::kError;
    }
    *msg = {opcode, payload};
    return Step::kMessage;
  }
  if (opcode != Opcode::kContinuation) fragment_opcode_ = opcode;
  fragments_.append(text);
  if (fragment_opcode_ == Opcode::kText) {
    // Checked fragment by fragment: a bad one fails now, not once the message is complete.
    const bool valid = fin ? fragments_utf8_.finish(fragments_) : fragments_utf8_.check(fragments_);
    if (!valid) {
      fragments_utf8_.reset();
      *err = {close_code::kInvalidPayload, "text message not UTF-8"};
      return Step::kError;
    }
  }
  if (!fin) return Step::kFragmentStored;
  *msg = {fragment_opcode_,
          std::span<std::uint8_t>(reinterpret_cast<std::uint8_t*>(fragments_.data()), fragments_.size())};
  fragment_opcode_ = Opcode::kContinuation;
  release_fragments_ = true;
  return Step::kMessage;
}

}  // namespace mediaflow::protocol::websocket
