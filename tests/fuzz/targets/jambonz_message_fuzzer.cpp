// A text frame of a jambonz listen WebSocket (the caller's side controls every byte), read as
// the first frame (read_call_metadata) and as any later one (read_control_message). Properties: an accepted frame has a sample rate of the listen verb's
// set, channels that follow its mixType and a bounded printable callSid, and reads back the same
// from our own encoding; a refusal always carries a close code and a reason; a mark name we
// would send survives jambonz's echo; a command reads back as mod_audio_fork reads it.
#include "fuzz_check.hpp"

#include <mediaflow/protocol/jambonz_messages.hpp>
#include <mediaflow/protocol/jambonz_metadata.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace jz = mediaflow::protocol::jambonz;

namespace {

void check_metadata(std::string_view text) {
  const jz::MetadataReadResult r = jz::read_call_metadata(text);
  FUZZ_CHECK(r.error != nullptr, "null reason");
  if (!r.ok()) {
    FUZZ_CHECK(r.close_code == jz::kCloseInvalidData || r.close_code == jz::kClosePolicy ||
                   r.close_code == jz::kCloseTooBig,
               "a refusal with another close code");
    FUZZ_CHECK(*r.error != '\0', "a refusal without a reason");
    return;
  }
  const jz::CallMetadata& m = r.metadata;
  FUZZ_CHECK(*r.error == '\0', "accepted with a reason");
  FUZZ_CHECK(text.size() <= jz::kMaxMetadataBytes, "accepted a frame over the bound");
  FUZZ_CHECK(jz::is_supported_sample_rate(m.sample_rate), "accepted a sample rate the listen verb does not allow");
  FUZZ_CHECK(m.sample_rate == 8000 || m.sample_rate == 16000 || m.sample_rate == 24000 || m.sample_rate == 48000 ||
                 m.sample_rate == 64000,
             "accepted a sample rate outside 8/16/24/48/64 kHz");
  FUZZ_CHECK(m.channels == (m.mix_type == jz::MixType::kStereo ? 2u : 1u), "channels do not follow mixType");
  FUZZ_CHECK(!m.call_sid.empty() && m.call_sid.size() <= jz::kMaxCallSidBytes, "callSid out of bounds");
  for (const char c : m.call_sid) FUZZ_CHECK(c > 0x20 && c < 0x7f, "callSid not printable ASCII");
  for (const char* field : {"callSid", "from", "to", "direction", "sampleRate", "mixType"})
    FUZZ_CHECK(m.params.count(field) == 0, "a field also read as a param");

  // What we encode for the simulator reads back as the same call (when it still fits: numbers
  // gain quotes, so a frame near the bound may not).
  const std::string again = jz::encode_call_metadata(m);
  if (again.size() > jz::kMaxMetadataBytes) return;
  const jz::MetadataReadResult back = jz::read_call_metadata(again);
  FUZZ_CHECK(back.ok(), "our own encoding of an accepted frame is refused");
  FUZZ_CHECK(back.metadata.call_sid == m.call_sid && back.metadata.from == m.from && back.metadata.to == m.to &&
                 back.metadata.direction == m.direction,
             "call attributes changed through encode → read");
  FUZZ_CHECK(back.metadata.sample_rate == m.sample_rate && back.metadata.mix_type == m.mix_type &&
                 back.metadata.channels == m.channels,
             "audio format changed through encode → read");
  FUZZ_CHECK(back.metadata.params == m.params, "params changed through encode → read");
}

void check_control(std::string_view text) {
  const jz::ControlMessage m = jz::read_control_message(text);
  FUZZ_CHECK(jz::control_kind_name(m.kind)[0] != '?', "kind without a name");
  FUZZ_CHECK(m.error != nullptr, "null reason");
  FUZZ_CHECK((m.kind == jz::ControlKind::kMalformed) == (*m.error != '\0'), "a reason iff malformed");
  if (m.kind == jz::ControlKind::kMark) {
    FUZZ_CHECK(!m.mark_name.empty() && m.mark_name.size() <= text.size(), "mark name out of bounds");
    if (jz::is_valid_mark_name(m.mark_name)) {
      const jz::ControlMessage echoed = jz::read_control_message(jz::encode_mark_event(m.mark_name, m.mark_event));
      FUZZ_CHECK(echoed.kind == jz::ControlKind::kMark && echoed.mark_name == m.mark_name &&
                     echoed.mark_event == m.mark_event,
                 "a mark event does not survive encode → read");
    }
  }
  if (m.kind == jz::ControlKind::kDtmf)
    FUZZ_CHECK(!m.dtmf_digit.empty() && m.dtmf_digit.size() <= 8, "DTMF digit out of bounds");
  // The same bytes as a mark name we would send: sent only when jambonz can echo them as JSON.
  const auto command = jz::encode_mark(text);
  FUZZ_CHECK(command.has_value() == jz::is_valid_mark_name(text), "encode_mark disagrees with is_valid_mark_name");
  // Read as the simulator reads our commands: a mark we send reads back with its name.
  const jz::Command read = jz::read_command(text);
  FUZZ_CHECK((read.kind == jz::CommandKind::kMalformed) == (*read.error != '\0'), "a command reason iff malformed");
  if (command) {
    const jz::Command sent = jz::read_command(*command);
    FUZZ_CHECK(sent.kind == jz::CommandKind::kMark && sent.mark_name == text, "a mark command does not read back");
    const jz::ControlMessage echoed = jz::read_control_message(jz::encode_mark_event(text, jz::MarkEvent::kCleared));
    FUZZ_CHECK(echoed.kind == jz::ControlKind::kMark && echoed.mark_name == text, "a valid mark name is not echoed back");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  check_metadata(text);
  check_control(text);
  return 0;
}
