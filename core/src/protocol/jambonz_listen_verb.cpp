#include <mediaflow/protocol/jambonz_listen_verb.hpp>
#include <mediaflow/protocol/jambonz_metadata.hpp>
#include <mediaflow/protocol/json_string.hpp>

#include <array>
#include <string_view>

namespace mediaflow::protocol::jambonz {

namespace {

// The keys read_call_metadata() takes for CallMetadata's fields.
constexpr std::array<std::string_view, 6> kReservedMetadataKeys = {"callSid", "from", "to",
                                                                   "direction", "sampleRate", "mixType"};

bool is_websocket_url(std::string_view url) {
  for (std::string_view scheme : {"wss://", "ws://"}) {
    if (url.size() > scheme.size() && url.substr(0, scheme.size()) == scheme) return true;
  }
  return false;
}

ListenVerbJson refuse(const char* why) {
  ListenVerbJson r;
  r.error = why;
  return r;
}

}  // namespace

ListenVerbJson build_listen_verbs(const ListenVerbOptions& o) {
  if (!is_websocket_url(o.url)) return refuse("listen url is not ws:// or wss://");
  if (o.url.size() > kMaxListenUrlBytes) return refuse("listen url longer than 2048 bytes");
  if (!is_supported_sample_rate(o.sample_rate))
    return refuse("unsupported sampleRate (8000, 16000, 24000, 48000 or 64000)");

  std::string metadata = "{";
  for (const auto& [key, value] : o.metadata) {
    for (std::string_view reserved : kReservedMetadataKeys) {
      if (key == reserved) return refuse("metadata key would override a call attribute jambonz sends");
    }
    if (metadata.size() > 1) metadata += ',';
    append_json_string(metadata, key);
    metadata += ':';
    append_json_string(metadata, value);
  }
  metadata += '}';
  if (metadata.size() > kMaxListenMetadataBytes) return refuse("metadata larger than 4 KiB");

  const std::string rate = std::to_string(o.sample_rate);
  ListenVerbJson r;
  std::string& j = r.json;
  j = "[{\"verb\":\"listen\",\"url\":";
  append_json_string(j, o.url);
  if (!o.action_hook.empty()) {
    j += ",\"actionHook\":";
    append_json_string(j, o.action_hook);
  }
  j += ",\"mixType\":\"mono\",\"sampleRate\":" + rate;
  j += ",\"bidirectionalAudio\":{\"enabled\":true,\"streaming\":true,\"sampleRate\":" + rate + "}";
  if (o.pass_dtmf) j += ",\"passDtmf\":true";
  j += ",\"metadata\":" + metadata + "}]";
  return r;
}

}  // namespace mediaflow::protocol::jambonz
