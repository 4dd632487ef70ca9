#include "jambonz_codec.hpp"

#include <mediaflow/protocol/jambonz_messages.hpp>
#include <mediaflow/protocol/jambonz_metadata.hpp>

#include <cstring>

namespace mediaflow::jambonz_transport {
namespace {

namespace jz = protocol::jambonz;
using transport::Inbound;
using Kind = transport::Inbound::Kind;

class JambonzCodec final : public transport::Codec {
 public:
  const Inbound& read_text(std::string_view message) override {
    out_ = {};
    if (!started_) return read_metadata(message);
    const jz::ControlMessage m = jz::read_control_message(message);
    switch (m.kind) {
      case jz::ControlKind::kMark:
        // Played or cleared, the mark is done with: the pipeline hears of it either way (as
        // Twilio echoes a mark after a clear).
        text_ = m.mark_name;
        out_.kind = Kind::kMark;
        out_.text = text_;
        break;
      case jz::ControlKind::kDtmf:
        text_ = m.dtmf_digit;
        out_.kind = Kind::kDtmf;
        out_.text = text_;
        out_.track = "inbound";
        break;
      case jz::ControlKind::kPlayDone:
        break;
      case jz::ControlKind::kUnknown:
        out_.rejected = "unknown_event";
        break;
      case jz::ControlKind::kMalformed:
        out_.rejected = "malformed_json";
        break;
    }
    return out_;
  }

  const Inbound& read_binary(std::span<const std::uint8_t> message) override {
    out_ = {};
    if (!started_) {
      out_.kind = Kind::kReject;
      out_.rejected = "media_before_start";
      out_.close_code = jz::kClosePolicy;
      out_.close_reason = "audio before the metadata frame";
      return out_;
    }
    out_.kind = Kind::kAudio;  // track "": interleaved when stereo, else the caller's
    out_.payload = {reinterpret_cast<const char*>(message.data()), message.size()};
    return out_;
  }

  const transport::CallStart& start() const override { return start_; }

  // "The call ends when jambonz closes (1000)": it sends no stop message.
  bool closing_ends_call(std::uint16_t code) const override { return started_ && code == 1000; }

  std::size_t audio_bytes_max(const Inbound& audio) const override { return audio.payload.size(); }

  std::optional<std::size_t> decode_audio(const Inbound& audio, std::span<std::uint8_t> out) const override {
    if (audio.payload.size() > out.size()) return std::nullopt;
    std::memcpy(out.data(), audio.payload.data(), audio.payload.size());
    return audio.payload.size();
  }

 private:
  const Inbound& read_metadata(std::string_view message) {
    const jz::MetadataReadResult r = jz::read_call_metadata(message);
    if (!r.ok()) {
      out_.kind = Kind::kReject;
      out_.rejected = "bad_metadata";
      out_.close_code = r.close_code;
      out_.close_reason = r.error;  // static text, no call data
      return out_;
    }
    started_ = true;
    const jz::CallMetadata& m = r.metadata;
    start_.call_sid = m.call_sid;
    start_.stream_sid = m.call_sid;  // jambonz has no stream id apart from the call's
    start_.params = m.params;
    auto account = m.params.find("accountSid");
    if (account != m.params.end()) start_.account_sid = account->second;
    start_.format = {transport::AudioFormat::Encoding::kS16le, int(m.sample_rate), int(m.channels)};
    start_.tracks = m.channels == 2 ? std::vector<std::string>{"inbound", "outbound"} : std::vector<std::string>{"inbound"};
    out_.kind = Kind::kStart;
    return out_;
  }

  Inbound out_;
  std::string text_;  // the mark name or digit out_ points at
  bool started_ = false;
  transport::CallStart start_;
};

}  // namespace

transport::Codec* create_codec() { return new JambonzCodec(); }

}  // namespace mediaflow::jambonz_transport
