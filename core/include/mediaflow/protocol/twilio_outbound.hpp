// The Twilio side's parser for what a host sends to Twilio on a bidirectional stream
// (shared/protocols.md §1, "Us → Twilio"): `media`, `mark`, `clear`. Used by the call
// simulator; the host itself only encodes these (twilio_envelope.hpp).
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>

namespace mediaflow::protocol::twilio {

enum class OutboundKind : std::uint8_t { kMedia, kMark, kClear, kUnknown, kMalformed };

struct OutboundMessage {
  OutboundKind kind = OutboundKind::kMalformed;
  std::string_view stream_sid;
  std::string_view payload_base64;  // kMedia: decode with decode_base64()
  std::string_view mark_name;       // kMark
  const char* error = "";           // kMalformed: why (static text)
};

// Views in the result point into the parser and stay valid until its next parse().
class TwilioOutboundParser {
 public:
  TwilioOutboundParser();
  ~TwilioOutboundParser();
  TwilioOutboundParser(const TwilioOutboundParser&) = delete;
  TwilioOutboundParser& operator=(const TwilioOutboundParser&) = delete;

  OutboundMessage parse(std::string_view text);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mediaflow::protocol::twilio
