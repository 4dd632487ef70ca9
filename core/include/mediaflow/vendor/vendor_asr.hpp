// MediaflowVendorAsr: the base class of a streaming speech-recognition vendor element
// (deepgramasr, assemblyaiasr). A GstBaseSink that owns one StreamingSession
// (streaming_session.hpp) per stream and everything a vendor element has in common:
//
//  - properties: `api-key` (write-only, a secret; default: the vendor's *_API_KEY variable),
//    `url` (a base URL the vendor adds its query to; default: its *_WS_URL variable, else its
//    public endpoint), `chunk-ms` (audio per message: the latency the framing adds; default
//    and accepted range per vendor), `on-failure` (close-call | continue, default continue),
//    `keepalive-interval`, `reconnect-buffer`, `max-reconnects`, `finalize-timeout`,
//    `stall-timeout`;
//  - the input: S16LE or mu-law, mono, at the rates the subclass's pad template allows, sent
//    as it comes (mu-law passes through to a vendor that accepts it); a format change
//    mid-stream is an error;
//  - the WebSocket on the call's loop (gstutil::LoopContext), never blocking render();
//  - results in the transcript schema (docs/transcript-schema.md), in call time, pushed on the
//    always `transcript` src pad (`text/x-mediaflow-transcript`, one JSON result per buffer,
//    PTS = call time, EOS after the last; for the element a pipeline links to it) and posted
//    for the host: `mediaflow-transcript`, `mediaflow-speech-started`, `mediaflow-utterance-end`, and
//    `mediaflow-vendor-reconnect` {vendor} for each new connection after a drop (the host
//    counts them in mediaflow_vendor_reconnects_total{vendor});
//  - failures (key refused, vendor unreachable, a close the vendor says not to retry, no
//    key): with on-failure=continue one GST_ELEMENT_WARNING and audio is dropped, the call
//    goes on; with close-call one GST_ELEMENT_ERROR (the host ends the call);
//  - EOS: the rest of the audio and the vendor's finalize message, then EOS reaches the bus
//    only after the vendor's last results (bounded by finalize-timeout): waiting on a
//    streaming thread, holding the EOS on the call loop's own thread.
//
// A vendor subclass supplies, in class_init (docs/plugin-authoring.md, "A streaming ASR vendor"):
//  - `vendor`: a static AsrVendorInfo (names, environment variables, framing, keepalive and
//    finalize messages);
//  - `connection()`: the URL with the vendor's query (from its own properties and the audio
//    format) and the request headers that carry the key;
//  - `parse_message()`: one text message → one AsrResult (transcript, speech started,
//    utterance end, vendor error, finished, ignore);
//  - optionally `close_verdict`: whether a close the vendor chose is worth a new connection;
//  - its sink pad template (the formats the vendor takes) and element metadata.
// The handshake's HTTP answer is judged here: 401/403 (key refused) and other 4xx but 408/429
// give up, anything else is retried with backoff.
#pragma once

#include <mediaflow/net/websocket_upgrade.hpp>
#include <mediaflow/transport/audio_format.hpp>
#include <mediaflow/vendor/asr_result.hpp>
#include <mediaflow/vendor/streaming_session.hpp>

#include <gst/base/gstbasesink.h>
#include <gst/gst.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

G_BEGIN_DECLS

// What a vendor element does when its vendor cannot be used.
typedef enum {
  MEDIAFLOW_ON_FAILURE_CLOSE_CALL = 0,  // GST_ELEMENT_ERROR: the host ends the call
  MEDIAFLOW_ON_FAILURE_CONTINUE = 1,    // GST_ELEMENT_WARNING: the call goes on without it
} MediaflowOnFailure;

#define MEDIAFLOW_TYPE_ON_FAILURE (mediaflow_on_failure_get_type())
GType mediaflow_on_failure_get_type(void);

#define MEDIAFLOW_TYPE_VENDOR_ASR (mediaflow_vendor_asr_get_type())
G_DECLARE_DERIVABLE_TYPE(MediaflowVendorAsr, mediaflow_vendor_asr, MEDIAFLOW, VENDOR_ASR, GstBaseSink)

G_END_DECLS

namespace mediaflow::vendor {

// What connection() is given: the `url` property (or its environment default), resolved, and
// the key (never empty: without one the base reports the failure and does not connect).
struct ConnectionRequest {
  std::string url;
  std::string api_key;
  transport::AudioFormat format;  // from the caps: S16LE or mu-law, mono, a rate the pad template allows
};

struct Connection {
  std::string url;           // with the vendor's query
  net::HttpHeaders headers;  // the key goes here (or in url); values are never logged
};

// What a subclass says about its vendor (a static object; the class keeps a pointer to it).
// Every member has a default, so designated initializers name only what a vendor needs.
struct AsrVendorInfo {
  std::string name = {};          // "deepgram": `vendor` of every posted message, the metric's label
  std::string display_name = {};  // "Deepgram": in warnings and errors
  std::string api_key_env = {};   // api-key's default: this environment variable
  std::string url_env = {};       // url's default: this environment variable …
  std::string default_url = {};   // … else this
  // chunk-ms: audio per message. The element sends once this much is pending, so it is the
  // latency the framing adds to every result; values outside [min, max] are clamped.
  unsigned chunk_ms_default = 100;
  unsigned chunk_ms_min = 20;
  unsigned chunk_ms_max = 1000;
  unsigned max_message_ms = 0;  // a backlog goes out in messages up to this long; 0: chunk-ms
  unsigned min_message_ms = 0;  // the last message at EOS is padded with silence to this
  bool real_time = false;       // the vendor refuses audio faster than real time: pace it
  std::string keepalive_message = {};  // sent after keepalive-interval without sending; empty: none
  std::string finalize_message = {};   // sent after the last audio at EOS
  std::string error_header = {};       // a refused handshake's header with the vendor's reason
  unsigned stall_timeout_ms = 0;  // stall-timeout's value on new elements (0: no watchdog)
};

}  // namespace mediaflow::vendor

struct _MediaflowVendorAsrClass {
  GstBaseSinkClass parent_class;

  const mediaflow::vendor::AsrVendorInfo* vendor;
  // Required. Called once per stream, from the streaming thread, when the caps are known;
  // read the subclass's properties under GST_OBJECT_LOCK.
  mediaflow::vendor::Connection (*connection)(MediaflowVendorAsr* self,
                                              const mediaflow::vendor::ConnectionRequest& request);
  // Required. One text message from the vendor; on the session's loop.
  mediaflow::vendor::AsrResult (*parse_message)(MediaflowVendorAsr* self, std::string_view text);
  // Optional. The vendor closed the connection with `code` (not as the answer to the finalize
  // message): may a new connection help? A vendor's close codes are a fixed table, so this is
  // a plain function of the code (its codec's, as a rule). Unset: every close is retried.
  mediaflow::vendor::CloseVerdict (*close_verdict)(int code);

  gpointer padding[8];
};
