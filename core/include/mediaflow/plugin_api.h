// The whole ABI between the mediaflow host and a plugin library.
//
// A plugin library is an ordinary GStreamer plugin (GST_PLUGIN_DEFINE, so gst-inspect-1.0
// and gst-launch-1.0 find it through GST_PLUGIN_PATH) that additionally exports, through
// Boost.DLL, one function returning a PluginDescriptor. The host loads every library in
// PLUGIN_DIR, reads the descriptor, refuses any other api_version, and registers the
// elements with GStreamer exactly once. Plugin authors include this header only; see
// docs/plugin-authoring.md for a walk-through.
//
//   static const mediaflow::ElementDescriptor kElements[] = {
//     {"myasr", mediaflow::role::kAsr, "Streams 16 kHz speech to MyVendor, posts transcripts"},
//   };
//   static gboolean plugin_init(GstPlugin* p) {
//     return GST_ELEMENT_REGISTER(myasr, p);
//   }
//   MEDIAFLOW_PLUGIN_DEFINE(myvendor, "MyVendor speech recognition", plugin_init, kElements)
#pragma once

#include <mediaflow/transport/settings.hpp>

#include <gst/gst.h>

#include <boost/dll/alias.hpp>
#include <cstddef>
#include <iterator>
#include <string>

namespace mediaflow {

// Bump when PluginDescriptor, ElementDescriptor or TransportDescriptor change layout or meaning.
// 2: transports (a plugin may bring a media plane: its codec, ingest and egress).
// 3: a transport's application webhook (webhook_path, answer_webhook).
// 4: a transport checks the settings it reads when the host starts (check_settings).
inline constexpr unsigned kPluginApiVersion = 4;

// The Boost.DLL alias under which a plugin exports `const PluginDescriptor* ()`.
inline constexpr const char* kPluginDescriptorSymbol = "mediaflow_plugin_descriptor";

// Element roles: what an element does in a call, so tools can list plugins by role and
// conformance suites can pick every element of one role.
namespace role {
inline constexpr const char* kIngest = "ingest";      // call audio in (twiliosrc)
inline constexpr const char* kEgress = "egress";      // call audio out (twiliosink)
inline constexpr const char* kDecoder = "decoder";
inline constexpr const char* kAsr = "asr";            // speech recognition, posts transcripts
inline constexpr const char* kAgent = "agent";        // voice agent: caller audio in, agent audio out
inline constexpr const char* kTts = "tts";
inline constexpr const char* kRecorder = "recorder";
inline constexpr const char* kFilter = "filter";
}  // namespace role

struct ElementDescriptor {
  const char* name;         // GStreamer element factory name
  const char* role;         // one of mediaflow::role
  const char* description;  // one line, shown by `mediaflow plugins`
};

namespace transport {
class Codec;            // mediaflow/transport/codec.hpp (libmediaflow_sdk)
struct WebhookRequest;  // mediaflow/transport/webhook.hpp (libmediaflow_sdk)
struct WebhookContext;
struct WebhookAnswer;
}  // namespace transport

// A media plane a plugin brings (docs/plugin-authoring.md, "Transports"): the host serves its
// WebSocket path, reads every connection's messages with a new codec, and builds the call's
// pipeline with its ingest and egress elements where a pipeline file says "@ingest"/"@egress".
// With a webhook, the host also serves POST webhook_path (the platform's application webhook,
// e.g. Twilio's voice URL) by calling answer_webhook.
struct TransportDescriptor {
  const char* name;            // "twilio", "jambonz": the `transport` of logs and metrics
  const char* path_env;        // the environment variable naming its WebSocket path
  const char* default_path;    // its path when that variable is unset
  const char* subprotocol;     // the Sec-WebSocket-Protocol clients must offer, or nullptr
  const char* basic_auth_env;  // a variable of "user:password" also accepted as HTTP Basic, or nullptr
  const char* ingest_factory;  // a MediaflowIngestSrc subclass (transport/ingest_src.hpp)
  const char* egress_factory;  // a MediaflowEgressSink subclass (transport/egress_sink.hpp)
  transport::Codec* (*create_codec)();  // one per connection; the host deletes it
  const char* webhook_path;    // the path of its application webhook ("/twilio/voice"), or nullptr
  // Answers a POST to webhook_path: plain C++, called on the worker loop that read the request
  // (never block; any thread). The host adds the metric and log line of a refusal.
  transport::WebhookAnswer (*answer_webhook)(const transport::WebhookRequest& request,
                                             const transport::WebhookContext& context);
  // Checks the host's settings this transport reads (its webhook's, say) once, when the host
  // starts, so that a misconfigured instance refuses to start instead of failing every call:
  // "" when they are usable, else one line naming the setting and what is wrong (never its
  // value: it may be a secret). nullptr: nothing to check.
  std::string (*check_settings)(const transport::SettingLookup& setting);
};

struct PluginDescriptor {
  // Must stay the first member: the host reads it before trusting anything else.
  unsigned api_version;
  const char* name;          // GStreamer plugin name
  const char* version;
  const char* description;
  const ElementDescriptor* elements;
  std::size_t element_count;
  // Registers the elements; the same function GST_PLUGIN_DEFINE is given.
  gboolean (*register_elements)(GstPlugin* plugin);
  const TransportDescriptor* transports;  // may be null
  std::size_t transport_count;
};

using PluginDescriptorFn = const PluginDescriptor*();

}  // namespace mediaflow

// Defines the GStreamer plugin and exports its mediaflow descriptor. `name` is a C
// identifier (the GStreamer plugin name); `elements` a static array of ElementDescriptor.
// Needs PACKAGE, VERSION and GST_PACKAGE_ORIGIN defined (mediaflow_add_plugin does it).
#define MEDIAFLOW_PLUGIN_DEFINE(name, description, init_fn, elements) \
  MEDIAFLOW_PLUGIN_DEFINE_FULL(name, description, init_fn, elements, nullptr, 0)

// The same for a plugin that brings transports: `transports`, a static array of
// TransportDescriptor.
#define MEDIAFLOW_TRANSPORT_PLUGIN_DEFINE(name, description, init_fn, elements, transports) \
  MEDIAFLOW_PLUGIN_DEFINE_FULL(name, description, init_fn, elements, transports, std::size(transports))

#define MEDIAFLOW_PLUGIN_DEFINE_FULL(name, description, init_fn, elements, transports, transport_count) \
  GST_PLUGIN_DEFINE(GST_VERSION_MAJOR, GST_VERSION_MINOR, name, description, init_fn, VERSION,  \
                    "Proprietary", PACKAGE, GST_PACKAGE_ORIGIN)                                \
  namespace {                                                                                  \
  const ::mediaflow::PluginDescriptor mediaflow_plugin_descriptor_value{                       \
      ::mediaflow::kPluginApiVersion, G_STRINGIFY(name), VERSION, description, elements,       \
      std::size(elements), init_fn, transports, transport_count};                              \
  const ::mediaflow::PluginDescriptor* mediaflow_plugin_descriptor_fn() {                      \
    return &mediaflow_plugin_descriptor_value;                                                 \
  }                                                                                            \
  }                                                                                            \
  /* GStreamer looks up gst_plugin_<file name minus "lib">_get_desc: the library is          \
     libmediaflow_<name>.so, so export that name too or gst-inspect/gst-launch ignore it. */  \
  extern "C" GST_PLUGIN_EXPORT const GstPluginDesc* G_PASTE(gst_plugin_mediaflow_,             \
                                                            G_PASTE(name, _get_desc))(void) {   \
    return G_PASTE(gst_plugin_, G_PASTE(name, _get_desc))();                                   \
  }                                                                                            \
  BOOST_DLL_ALIAS(mediaflow_plugin_descriptor_fn, mediaflow_plugin_descriptor)
