// A transport's wire protocol, as the host sees it: one Codec per call connection reads the
// caller's WebSocket messages into events. Plain C++, no GStreamer (style.md: protocol codecs
// are tested directly). The host owns everything else: sockets, auth, limits, the realtime
// budget, admission, metrics and the call's life (docs/plugin-authoring.md, "Transports").
//
// A transport plugin declares it in its PluginDescriptor (plugin_api.h, TransportDescriptor)
// with the factory names of its ingest and egress elements (ingest_src.hpp, egress_sink.hpp).
#pragma once

#include <mediaflow/transport/audio_format.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace mediaflow::transport {

// What the first message says about the call.
struct CallStart {
  std::string call_sid;
  std::string stream_sid;   // Twilio's streamSid; transports without one repeat the call id
  std::string account_sid;
  // The caller's parameters: Twilio's customParameters, jambonz's metadata. `pipeline`,
  // `organization_id`, `campaign_id` … are read from here.
  std::map<std::string, std::string> params;
  AudioFormat format;       // of one track, as an ingest emits it
  std::vector<std::string> tracks{"inbound"};
};

struct Inbound {
  enum class Kind {
    kNothing,  // keepalive, a message this transport ignores, or one counted as rejected
    kStart,    // the call's metadata: Codec::start() is filled in
    kAudio,    // `payload` holds audio for `track`: Codec::decode_audio() turns it into samples
    kMark,     // `text` names a mark the caller's side has played (or cleared)
    kDtmf,     // `text` is the digit, for `track`
    kStop,     // the caller ends the stream normally
    kReject,   // a protocol violation that ends the call: close with `close_code`
  };
  Kind kind = Kind::kNothing;
  std::string_view track;                   // kAudio, kDtmf: "inbound" / "outbound"; "" = all tracks
  std::optional<std::uint64_t> timestamp_ms;  // kAudio: where it belongs (none: right after the last)
  std::string_view payload;                 // kAudio: encoded as the codec knows (base64, raw bytes)
  std::string_view text;                    // kMark, kDtmf
  // kNothing/kReject: the `reason` label of mediaflow_messages_rejected_total (null: not counted).
  const char* rejected = nullptr;
  std::uint16_t close_code = 0;             // kReject
  const char* close_reason = "";            // kReject: the close frame's reason (no PHI)
  std::string_view reply;                   // any kind: a text frame to answer with first
};

class Codec {
 public:
  virtual ~Codec() = default;
  // Views in the result point into the message or the codec: valid until the next read.
  virtual const Inbound& read_text(std::string_view message) = 0;
  virtual const Inbound& read_binary(std::span<const std::uint8_t> message) = 0;
  // After a kStart.
  virtual const CallStart& start() const = 0;
  // An upper bound of the samples' bytes in an audio event, then the decoding itself (the host
  // decodes straight into the pipeline's buffer). nullopt: the payload is not valid audio.
  virtual std::size_t audio_bytes_max(const Inbound& audio) const = 0;
  // Whether the caller closing the WebSocket with `code` is how this transport ends a call
  // normally (jambonz: 1000, with no stop message before it). Otherwise the call counts as
  // gone (`client_gone`), as a Twilio stream that closes without `stop` does.
  virtual bool closing_ends_call(std::uint16_t code) const {
    (void)code;
    return false;
  }
  virtual std::optional<std::size_t> decode_audio(const Inbound& audio, std::span<std::uint8_t> out) const = 0;
};

}  // namespace mediaflow::transport
