#include "loadgen/jambonz_call.hpp"

#include <mediaflow/protocol/jambonz_messages.hpp>
#include <mediaflow/protocol/jambonz_metadata.hpp>

#include <cstdio>

namespace mediaflow::bench {
namespace jz = protocol::jambonz;

std::string jambonz_metadata(unsigned index, unsigned rate, std::map<std::string, std::string> params) {
  char sid[40];
  std::snprintf(sid, sizeof sid, "00000000-0000-4000-8000-%012x", index + 1);
  jz::CallMetadata m;
  m.call_sid = sid;
  m.direction = "inbound";
  m.from = "+15551234567";
  m.to = "+15557654321";
  m.sample_rate = rate;
  m.mix_type = jz::MixType::kMono;
  m.params = std::move(params);
  return jz::encode_call_metadata(m);
}

std::optional<std::string> jambonz_mark_played(std::string_view command) {
  const jz::Command c = jz::read_command(command);
  if (c.kind != jz::CommandKind::kMark) return std::nullopt;
  return jz::encode_mark_event(c.mark_name, jz::MarkEvent::kPlayout);
}

}  // namespace mediaflow::bench
