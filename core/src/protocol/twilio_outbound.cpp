#include <mediaflow/protocol/twilio_outbound.hpp>

#include <simdjson.h>

namespace mediaflow::protocol::twilio {

namespace dom = simdjson::dom;

struct TwilioOutboundParser::Impl {
  dom::parser parser;
};

TwilioOutboundParser::TwilioOutboundParser() : impl_(std::make_unique<Impl>()) {}
TwilioOutboundParser::~TwilioOutboundParser() = default;

namespace {
OutboundMessage malformed(const char* why) {
  OutboundMessage m;
  m.error = why;
  return m;
}
}  // namespace

OutboundMessage TwilioOutboundParser::parse(std::string_view text) {
  dom::object root;
  if (impl_->parser.parse(text.data(), text.size()).get_object().get(root)) return malformed("not a JSON object");
  std::string_view event;
  if (root["event"].get_string().get(event)) return malformed("missing 'event' string");
  OutboundMessage m;
  if (root["streamSid"].get_string().get(m.stream_sid)) return malformed("missing 'streamSid' string");
  if (event == "media") {
    if (root["media"]["payload"].get_string().get(m.payload_base64)) return malformed("media: missing media.payload string");
    m.kind = OutboundKind::kMedia;
  } else if (event == "mark") {
    if (root["mark"]["name"].get_string().get(m.mark_name)) return malformed("mark: missing mark.name string");
    m.kind = OutboundKind::kMark;
  } else if (event == "clear") {
    m.kind = OutboundKind::kClear;
  } else {
    m.kind = OutboundKind::kUnknown;
  }
  return m;
}

}  // namespace mediaflow::protocol::twilio
