#include "twilio_codec.hpp"

#include <mediaflow/protocol/twilio_envelope.hpp>
#include <mediaflow/protocol/websocket_frame.hpp>

namespace mediaflow::twilio_transport {
namespace {

namespace tw = protocol::twilio;
using transport::Inbound;
using Kind = transport::Inbound::Kind;

// "inbound_track" (dtmf) → "inbound"; empty means inbound.
std::string_view normalize_track(std::string_view t) {
  constexpr std::string_view kSuffix = "_track";
  if (t.size() > kSuffix.size() && t.substr(t.size() - kSuffix.size()) == kSuffix) t.remove_suffix(kSuffix.size());
  return t.empty() ? std::string_view("inbound") : t;
}

class TwilioCodec final : public transport::Codec {
 public:
  const Inbound& read_text(std::string_view message) override {
    out_ = {};
    if (message == "ping") {  // a liveness probe some clients send as text: answered, not parsed
      out_.reply = "pong";
      return out_;
    }
    // One parser per worker thread: its buffers are reused by every call on that loop, and the
    // views it returns live until the next parse on this thread (the host reads them at once).
    thread_local tw::TwilioEnvelopeParser parser;
    const tw::InboundMessage& msg = parser.parse(message);
    switch (msg.kind) {
      case tw::EventKind::kMedia:
        out_.kind = Kind::kAudio;
        out_.track = normalize_track(msg.media.track);
        out_.timestamp_ms = msg.media.timestamp_ms;
        out_.payload = msg.media.payload_base64;
        break;
      case tw::EventKind::kStart:
        if (started_) {
          out_.rejected = "duplicate_start";
          break;
        }
        started_ = true;
        start_.call_sid = msg.start.call_sid;
        start_.stream_sid = msg.start.stream_sid;
        start_.account_sid = msg.start.account_sid;
        start_.params = msg.start.custom_parameters;
        start_.tracks.clear();
        for (const auto& t : msg.start.tracks) start_.tracks.emplace_back(normalize_track(t));
        if (start_.tracks.empty()) start_.tracks.emplace_back("inbound");
        out_.kind = Kind::kStart;
        break;
      case tw::EventKind::kMark:
        out_.kind = Kind::kMark;
        out_.text = msg.mark;
        break;
      case tw::EventKind::kDtmf:
        out_.kind = Kind::kDtmf;
        out_.text = msg.dtmf.digit;
        out_.track = normalize_track(msg.dtmf.track);
        break;
      case tw::EventKind::kStop:
        out_.kind = Kind::kStop;
        break;
      case tw::EventKind::kConnected:
        break;
      case tw::EventKind::kUnknown:
        out_.rejected = "unknown_event";
        break;
      case tw::EventKind::kMalformed:
      default:
        out_.rejected = "malformed_json";
        break;
    }
    return out_;
  }

  const Inbound& read_binary(std::span<const std::uint8_t>) override {
    out_ = {};
    out_.kind = Kind::kReject;  // Twilio sends JSON text only
    out_.rejected = "binary";
    out_.close_code = protocol::websocket::close_code::kUnsupportedData;
    out_.close_reason = "binary data not accepted";
    return out_;
  }

  const transport::CallStart& start() const override { return start_; }

  std::size_t audio_bytes_max(const Inbound& audio) const override { return tw::base64_decoded_max(audio.payload.size()); }

  std::optional<std::size_t> decode_audio(const Inbound& audio, std::span<std::uint8_t> out) const override {
    return tw::decode_base64(audio.payload, out);
  }

 private:
  Inbound out_;
  bool started_ = false;
  transport::CallStart start_;  // 8 kHz mu-law mono per track: AudioFormat's default
};

}  // namespace

transport::Codec* create_codec() { return new TwilioCodec(); }

}  // namespace mediaflow::twilio_transport
