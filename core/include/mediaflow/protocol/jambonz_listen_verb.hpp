// The answer to jambonz's application webhook (`POST /jambonz/call`): a JSON array of verbs with
// one `listen` verb that streams the call to our WebSocket both ways (docs/jambonz.md):
//   [{"verb":"listen","url":"wss://…","mixType":"mono","sampleRate":16000,
//     "bidirectionalAudio":{"enabled":true,"streaming":true,"sampleRate":16000},
//     "metadata":{"pipeline":"default","organization_id":"acme"}}]
// Served as `Content-Type: application/json`. Only `url` is required by jambonz's verb schema;
// the rest is spelt out because its defaults are wrong for us (streaming defaults to false and
// the audio we send back would be dropped without a word; bidirectionalAudio.sampleRate has no
// default).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

namespace mediaflow::protocol::jambonz {

struct ListenVerbOptions {
  std::string url;                  // ws:// or wss://, token in the path or query: sent as is
  std::uint32_t sample_rate = 8000;  // both ways; one of kSampleRates
  // The verb's `metadata`: jambonz merges these keys into the first WebSocket frame, where
  // read_call_metadata() returns them as params (pipeline, organization_id, …).
  std::map<std::string, std::string> metadata;
  std::string action_hook;  // optional: jambonz POSTs here when the listen ends
  bool pass_dtmf = false;   // ask jambonz for {"event":"dtmf",…} frames
};

// jambonz copies the metadata frame into an 8 KiB buffer (mod_audio_fork MAX_METADATA_LEN) and
// truncates what does not fit, breaking the JSON; the call's own attributes take ~1 KiB of it.
inline constexpr std::size_t kMaxListenMetadataBytes = 4096;
// mod_audio_fork's limits are 512 bytes of host and 4 KiB of path; a URL longer than this is a bug.
inline constexpr std::size_t kMaxListenUrlBytes = 2048;

struct ListenVerbJson {
  bool ok() const { return *error == '\0'; }
  std::string json;       // the verb array, when ok()
  const char* error = "";  // why the options were refused (static text)
};

// Refuses: a url that is not ws:// or wss:// or is over kMaxListenUrlBytes; an unsupported
// sample rate; metadata over kMaxListenMetadataBytes, or with a key jambonz's own attributes
// would collide with (callSid, from, to, direction, sampleRate, mixType: jambonz lets metadata
// override them, and the stream would then describe itself wrongly).
ListenVerbJson build_listen_verbs(const ListenVerbOptions& options);

}  // namespace mediaflow::protocol::jambonz
