// The first message of a jambonz `listen` WebSocket (subprotocol `audio.jambonz.org`): one text
// frame of call metadata, before the binary frames of 16-bit little-endian PCM (docs/jambonz.md).
//
// jambonz builds it as Object.assign({sampleRate, mixType}, callInfo, verb.metadata)
// (jambonz-feature-server lib/tasks/listen.js): the call's attributes in camelCase (callSid,
// from, to, direction, accountSid, callId, …) with the keys of the verb's `metadata` object
// merged in at the top level. Those keys play the role of Twilio's custom parameters
// (`pipeline`, `organization_id`, …) and come back here in `params`.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace mediaflow::protocol::jambonz {

inline constexpr std::string_view kSubprotocol = "audio.jambonz.org";

// The `sampleRate` values the listen verb allows (docs.jambonz.org, verbs/listen).
inline constexpr std::array<std::uint32_t, 5> kSampleRates = {8000, 16000, 24000, 48000, 64000};
bool is_supported_sample_rate(std::uint64_t rate);

// mod_audio_fork copies the metadata into an 8 KiB buffer (MAX_METADATA_LEN), so a real one is
// smaller; twice that leaves room for other forks without letting a peer make us hold more.
inline constexpr std::size_t kMaxMetadataBytes = 16 * 1024;
// A callSid is a UUID; it goes into logs, metrics exemplars and recording paths.
inline constexpr std::size_t kMaxCallSidBytes = 128;

// WebSocket close codes suggested with a refusal (RFC 6455 §7.4.1).
inline constexpr std::uint16_t kCloseInvalidData = 1007;  // not JSON, not UTF-8, wrong types
inline constexpr std::uint16_t kClosePolicy = 1008;       // a field missing, a value we refuse
inline constexpr std::uint16_t kCloseTooBig = 1009;       // over kMaxMetadataBytes

enum class MixType : std::uint8_t { kMono, kStereo, kMixed };
const char* mix_type_name(MixType mix);

struct CallMetadata {
  std::string call_sid;
  std::string from;       // empty when jambonz left it out
  std::string to;
  std::string direction;  // "inbound" | "outbound" as jambonz says it
  std::uint32_t sample_rate = 8000;
  MixType mix_type = MixType::kMono;
  std::uint32_t channels = 1;  // 2 for stereo (interleaved), else 1: `mixed` is one mixed channel
  // Every other top-level key whose value is a string, number or boolean: strings as they are,
  // numbers and booleans as their JSON text. Objects, arrays and null are left out.
  std::map<std::string, std::string> params;
};

struct MetadataReadResult {
  bool ok() const { return close_code == 0; }
  CallMetadata metadata;        // meaningful when ok()
  std::uint16_t close_code = 0;  // when refused: kCloseInvalidData, kClosePolicy or kCloseTooBig
  const char* error = "";        // why (static text: safe to log, holds no call data)
};

// Reads the first text frame. Never throws; bad input gives a refusal with a close code.
MetadataReadResult read_call_metadata(std::string_view text);

// The frame as jambonz would send it for `metadata` (call simulator, tests): sampleRate and
// mixType first, then the call attributes, then `params` as strings (a param named like one of
// the fields above is left out: the frame would repeat a key).
std::string encode_call_metadata(const CallMetadata& metadata);

}  // namespace mediaflow::protocol::jambonz
