// jambonz's side of a `listen` call, as mod_audio_fork runs it (docs/jambonz.md): subprotocol
// audio.jambonz.org, a metadata text frame, then binary frames of 16-bit LE PCM (stereo:
// interleaved, caller first); the host answers with binary PCM (mono, the call's rate) and text
// commands (mark, killAudio, clearMarks, disconnect). The call ends when jambonz closes 1000.
#include "dial/caller_protocol.hpp"

#include <mediaflow/protocol/jambonz_messages.hpp>
#include <mediaflow/protocol/jambonz_metadata.hpp>

namespace mediaflow::dial {
namespace {

namespace jz = protocol::jambonz;

// mod_audio_fork keeps at most this many marks pending (MAX_MARKS); it drops later ones.
constexpr size_t kMaxPendingMarks = 30;
// The feature server reports a key's duration in 8 kHz samples: 200 ms.
constexpr uint32_t kDtmfDuration = 1600;

class JambonzProtocol final : public CallerProtocol {
 public:
  explicit JambonzProtocol(const CallerOptions& options) : opt_(options) {}

  std::string check_options() const override {
    if (!jz::is_supported_sample_rate(opt_.sample_rate)) return "jambonz sample rates are 8000, 16000, 24000, 48000, 64000";
    if (opt_.channels != 1 && opt_.channels != 2) return "jambonz audio is mono or stereo";
    return "";
  }
  const char* subprotocol() const override { return jz::kSubprotocol.data(); }
  uint8_t silence_byte() const override { return 0; }
  size_t bytes_per_sample() const override { return 2; }

  // As the feature server builds it: {sampleRate, mixType}, the call's attributes, then the
  // verb's metadata, which may override an attribute (accountSid here).
  void open_call(MessageSink& out) override {
    jz::CallMetadata m;
    m.call_sid = opt_.call_sid;
    m.direction = "inbound";
    m.from = "+15551234567";
    m.to = "+15557654321";
    m.sample_rate = opt_.sample_rate;
    m.mix_type = opt_.channels == 2 ? jz::MixType::kStereo : jz::MixType::kMono;
    m.params["accountSid"] = opt_.account_sid;
    for (const auto& [key, value] : opt_.custom_parameters) m.params[key] = value;
    out.send_text(jz::encode_call_metadata(m));
  }

  void send_audio(MessageSink& out, uint64_t, uint64_t, std::span<const uint8_t> frame) override {
    out.send_binary(frame);
  }

  void echo_mark(MessageSink& out, const std::string& name, bool cleared) override {
    out.send_text(jz::encode_mark_event(name, cleared ? jz::MarkEvent::kCleared : jz::MarkEvent::kPlayout));
  }

  void send_dtmf(MessageSink& out, const std::string& digit) override {
    out.send_text(jz::encode_dtmf_event(digit, kDtmfDuration));
  }

  bool send_hang_up(MessageSink&) override { return false; }
  size_t max_pending_marks() const override { return kMaxPendingMarks; }

  HostMessage read_text(std::string_view text) override {
    command_ = jz::read_command(text);
    HostMessage h;
    switch (command_.kind) {
      case jz::CommandKind::kKillAudio: h.kind = HostMessage::Kind::kClear; break;
      case jz::CommandKind::kMark:
        h.kind = HostMessage::Kind::kMark;
        h.mark_name = command_.mark_name;
        break;
      case jz::CommandKind::kClearMarks: h.kind = HostMessage::Kind::kClearMarks; break;
      case jz::CommandKind::kDisconnect: h.kind = HostMessage::Kind::kDisconnect; break;
      case jz::CommandKind::kUnknown: h.kind = HostMessage::Kind::kOther; break;
      case jz::CommandKind::kMalformed: break;
    }
    return h;
  }

  HostMessage read_binary(std::span<const uint8_t> bytes) override {
    HostMessage h;
    h.kind = HostMessage::Kind::kAudio;
    h.audio = bytes;
    return h;
  }

 private:
  const CallerOptions& opt_;
  jz::Command command_;  // the last read, which a HostMessage's mark_name points into
};

}  // namespace

std::unique_ptr<CallerProtocol> make_jambonz_protocol(const CallerOptions& options) {
  return std::make_unique<JambonzProtocol>(options);
}

}  // namespace mediaflow::dial
