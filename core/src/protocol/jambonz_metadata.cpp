// The jambonz listen metadata frame: size, UTF-8 and nesting checked before simdjson sees it
// (the same rules as every untrusted JSON, docs/security.md), then one pass over the top-level
// object. Read once per call, so the parser is a local: nothing to keep warm.
#include <mediaflow/protocol/jambonz_metadata.hpp>
#include <mediaflow/protocol/json_depth.hpp>
#include <mediaflow/protocol/json_string.hpp>
#include <mediaflow/protocol/utf8.hpp>

#include <simdjson.h>

#include <algorithm>
#include <set>

namespace mediaflow::protocol::jambonz {

namespace dom = simdjson::dom;

bool is_supported_sample_rate(std::uint64_t rate) {
  return std::find(kSampleRates.begin(), kSampleRates.end(), rate) != kSampleRates.end();
}

const char* mix_type_name(MixType mix) {
  switch (mix) {
    case MixType::kMono: return "mono";
    case MixType::kStereo: return "stereo";
    case MixType::kMixed: return "mixed";
  }
  return "?";
}

namespace {

MetadataReadResult refuse(std::uint16_t code, const char* why) {
  MetadataReadResult r;
  r.close_code = code;
  r.error = why;
  return r;
}

bool is_printable_ascii_token(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

// The keys read into CallMetadata's own fields; every other key is a param.
enum class Field { kCallSid, kFrom, kTo, kDirection, kSampleRate, kMixType, kParam };

Field field_of(std::string_view key) {
  if (key == "callSid") return Field::kCallSid;
  if (key == "from") return Field::kFrom;
  if (key == "to") return Field::kTo;
  if (key == "direction") return Field::kDirection;
  if (key == "sampleRate") return Field::kSampleRate;
  if (key == "mixType") return Field::kMixType;
  return Field::kParam;
}

// A param's value as text; false for values that are not params (object, array, null).
bool param_text(dom::element value, std::string& out) {
  switch (value.type()) {
    case dom::element_type::STRING: out.assign(value.get_string().value_unsafe()); return true;
    case dom::element_type::INT64: out = std::to_string(value.get_int64().value_unsafe()); return true;
    case dom::element_type::UINT64: out = std::to_string(value.get_uint64().value_unsafe()); return true;
    case dom::element_type::DOUBLE: out = simdjson::minify(value); return true;
    case dom::element_type::BOOL: out = value.get_bool().value_unsafe() ? "true" : "false"; return true;
    default: return false;
  }
}

}  // namespace

MetadataReadResult read_call_metadata(std::string_view text) {
  if (text.size() > kMaxMetadataBytes) return refuse(kCloseTooBig, "metadata larger than 16 KiB");
  if (!is_valid_utf8(text)) return refuse(kCloseInvalidData, "metadata is not UTF-8");
  if (json_nesting_beyond(text, kMaxVendorJsonDepth))
    return refuse(kClosePolicy, "metadata nests deeper than 32 levels");

  dom::parser parser;
  dom::element doc;
  if (parser.parse(text.data(), text.size()).get(doc)) return refuse(kCloseInvalidData, "metadata is not valid JSON");
  dom::object root;
  if (doc.get_object().get(root)) return refuse(kCloseInvalidData, "metadata is not a JSON object");

  MetadataReadResult r;
  CallMetadata& m = r.metadata;
  bool have_call_sid = false, have_rate = false, have_mix = false;
  std::set<std::string_view> seen;
  for (auto field : root) {
    // JSON.stringify never writes a key twice; two values for one key (two `pipeline`s) would
    // leave it to the parser which one wins, so neither does.
    if (!seen.insert(field.key).second) return refuse(kCloseInvalidData, "metadata repeats a key");
    const Field which = field_of(field.key);
    std::string_view s;
    switch (which) {
      case Field::kCallSid:
        if (field.value.get_string().get(s)) return refuse(kCloseInvalidData, "callSid is not a string");
        if (s.empty() || s.size() > kMaxCallSidBytes || !is_printable_ascii_token(s))
          return refuse(kClosePolicy, "callSid is empty, over 128 bytes or not printable ASCII");
        m.call_sid.assign(s);
        have_call_sid = true;
        break;
      case Field::kFrom:
      case Field::kTo:
      case Field::kDirection:
        if (field.value.get_string().get(s)) return refuse(kCloseInvalidData, "from/to/direction is not a string");
        (which == Field::kFrom ? m.from : which == Field::kTo ? m.to : m.direction).assign(s);
        break;
      case Field::kSampleRate: {
        const auto type = field.value.type();
        if (type != dom::element_type::INT64 && type != dom::element_type::UINT64 && type != dom::element_type::DOUBLE)
          return refuse(kCloseInvalidData, "sampleRate is not a number");
        std::uint64_t rate = 0;
        if (field.value.get_uint64().get(rate) || !is_supported_sample_rate(rate))
          return refuse(kClosePolicy, "unsupported sampleRate (8000, 16000, 24000, 48000 or 64000)");
        m.sample_rate = static_cast<std::uint32_t>(rate);
        have_rate = true;
        break;
      }
      case Field::kMixType:
        if (field.value.get_string().get(s)) return refuse(kCloseInvalidData, "mixType is not a string");
        if (s == "mono") m.mix_type = MixType::kMono;
        else if (s == "stereo") m.mix_type = MixType::kStereo;
        else if (s == "mixed") m.mix_type = MixType::kMixed;
        else return refuse(kClosePolicy, "unsupported mixType (mono, stereo or mixed)");
        have_mix = true;
        break;
      case Field::kParam: {
        std::string value;
        if (param_text(field.value, value)) m.params.emplace(std::string(field.key), std::move(value));
        break;
      }
    }
  }
  // jambonz always sends all three; without them this is not a listen stream.
  if (!have_call_sid) return refuse(kClosePolicy, "metadata has no callSid");
  if (!have_rate) return refuse(kClosePolicy, "metadata has no sampleRate");
  if (!have_mix) return refuse(kClosePolicy, "metadata has no mixType");
  m.channels = m.mix_type == MixType::kStereo ? 2 : 1;
  return r;
}

std::string encode_call_metadata(const CallMetadata& m) {
  std::string j = "{\"sampleRate\":" + std::to_string(m.sample_rate) + ",\"mixType\":";
  append_json_string(j, mix_type_name(m.mix_type));
  j += ",\"callSid\":";
  append_json_string(j, m.call_sid);
  j += ",\"direction\":";
  append_json_string(j, m.direction);
  j += ",\"from\":";
  append_json_string(j, m.from);
  j += ",\"to\":";
  append_json_string(j, m.to);
  for (const auto& [key, value] : m.params) {
    if (field_of(key) != Field::kParam) continue;  // would repeat a key the reader refuses
    j += ',';
    append_json_string(j, key);
    j += ':';
    append_json_string(j, value);
  }
  j += '}';
  return j;
}

}  // namespace mediaflow::protocol::jambonz
