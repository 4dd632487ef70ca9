// Twilio's side of a Media Streams call (shared/protocols.md §1): JSON envelopes numbered by
// sequenceNumber, 8 kHz mu-law in base64 `media` payloads; the host answers with `media`,
// `mark` and `clear`.
#include "dial/caller_protocol.hpp"

#include <mediaflow/protocol/twilio_envelope.hpp>
#include <mediaflow/protocol/twilio_outbound.hpp>

#include <vector>

namespace mediaflow::dial {
namespace {

namespace tw = protocol::twilio;

class TwilioProtocol final : public CallerProtocol {
 public:
  explicit TwilioProtocol(const CallerOptions& options) : opt_(options) {}

  std::string check_options() const override {
    if (opt_.sample_rate != 8000 || opt_.channels != 1) return "Twilio Media Streams carry 8 kHz mono mu-law";
    return "";
  }
  const char* subprotocol() const override { return nullptr; }
  uint8_t silence_byte() const override { return 0xFF; }  // mu-law +0
  size_t bytes_per_sample() const override { return 1; }

  void open_call(MessageSink& out) override {
    out.send_text(tw::encode_connected());
    tw::StartEvent start;
    start.stream_sid = opt_.stream_sid;
    start.call_sid = opt_.call_sid;
    start.account_sid = opt_.account_sid;
    start.tracks = opt_.tracks;
    start.custom_parameters = opt_.custom_parameters;
    start.media_format = {"audio/x-mulaw", 8000, 1};
    out.send_text(tw::encode_start(++sequence_, start));
  }

  void send_audio(MessageSink& out, uint64_t index, uint64_t timestamp_ms, std::span<const uint8_t> frame) override {
    // A both-tracks stream carries the caller on `inbound`; the simulated callee is silent.
    const std::string& track = opt_.tracks.size() == 1 ? opt_.tracks[0] : kInboundTrack;
    out.send_text(tw::encode_inbound_media(++sequence_, opt_.stream_sid, track, index + 1, timestamp_ms, frame));
  }

  // Twilio answers a `clear` by echoing the pending marks like played ones.
  void echo_mark(MessageSink& out, const std::string& name, bool) override {
    out.send_text(tw::encode_inbound_mark(++sequence_, opt_.stream_sid, name));
  }

  void send_dtmf(MessageSink& out, const std::string& digit) override {
    out.send_text(tw::encode_dtmf(++sequence_, opt_.stream_sid, digit));
  }

  bool send_hang_up(MessageSink& out) override {
    out.send_text(tw::encode_stop(++sequence_, opt_.stream_sid, opt_.account_sid, opt_.call_sid));
    return true;
  }

  HostMessage read_text(std::string_view text) override {
    const tw::OutboundMessage m = parser_.parse(text);
    HostMessage h;
    switch (m.kind) {
      case tw::OutboundKind::kMedia: {
        payload_.resize(tw::base64_decoded_max(m.payload_base64.size()));
        if (auto n = tw::decode_base64(m.payload_base64, payload_)) {
          h.kind = HostMessage::Kind::kAudio;
          h.audio = std::span<const uint8_t>(payload_.data(), *n);
        }
        break;
      }
      case tw::OutboundKind::kMark:
        h.kind = HostMessage::Kind::kMark;
        h.mark_name = m.mark_name;
        break;
      case tw::OutboundKind::kClear:
        h.kind = HostMessage::Kind::kClear;
        break;
      default:
        break;
    }
    return h;
  }

  HostMessage read_binary(std::span<const uint8_t>) override { return {}; }  // Twilio sends text only

 private:
  inline static const std::string kInboundTrack = "inbound";
  const CallerOptions& opt_;
  uint64_t sequence_ = 0;  // last sequenceNumber used
  tw::TwilioOutboundParser parser_;
  std::vector<uint8_t> payload_;
};

}  // namespace

std::unique_ptr<CallerProtocol> make_twilio_protocol(const CallerOptions& options) {
  return std::make_unique<TwilioProtocol>(options);
}

}  // namespace mediaflow::dial
