/**
 * SECTION:element-myvendorasr
 *
 * The template of a streaming ASR vendor (docs/plugin-authoring.md): streams call audio to
 * "MyVendor", an imaginary vendor with a small JSON protocol, and posts what it hears in the
 * transcript schema. Everything but the vendor's specifics is MediaflowVendorAsr's
 * (mediaflow/vendor/vendor_asr.hpp): `api-key` (default $MYVENDOR_API_KEY), `url` (default
 * $MYVENDOR_WS_URL), `chunk-ms`, `on-failure` and the rest, reconnects, replay, EOS.
 *
 * MyVendor's protocol: connect to `<url>?encoding=mulaw|linear16&sample_rate=N` with
 * "Authorization: Bearer <key>"; send audio as binary messages; it answers
 * {"type":"transcript","text":s,"final":b,"start":d,"end":d} and {"type":"speech_started","time":d}
 * (seconds of the connection's audio), {"type":"error","message":s} before closing, and
 * {"type":"closed"} once it has answered {"type":"finalize"}. {"type":"keepalive"} keeps an
 * idle stream open. A real vendor's wire format goes in a plain C++ codec with its own tests
 * (plugins/asr_assemblyai/assemblyai_protocol.*); it is inline here to keep the template short.
 */
#include "gstmyvendorasr.hpp"

#include <mediaflow/protocol/url_query.hpp>

#include <json-glib/json-glib.h>

#include <algorithm>
#include <memory>
#include <string>

GST_DEBUG_CATEGORY_STATIC(gst_myvendor_asr_debug);
#define GST_CAT_DEFAULT gst_myvendor_asr_debug

namespace vendor = mediaflow::vendor;
using mediaflow::transport::AudioFormat;

namespace {

// What MyVendor wants; every member not named here keeps the base's default.
const vendor::AsrVendorInfo kMyVendor{
    .name = "myvendor", .display_name = "MyVendor",
    .api_key_env = "MYVENDOR_API_KEY", .url_env = "MYVENDOR_WS_URL",
    .default_url = "wss://stream.myvendor.example/v1/listen",
    .chunk_ms_default = 60, .chunk_ms_min = 20, .chunk_ms_max = 500,  // MyVendor takes 20–500 ms per message
    .keepalive_message = R"({"type":"keepalive"})",
    .finalize_message = R"({"type":"finalize"})",
};

}  // namespace

struct _GstMyVendorAsr {
  MediaflowVendorAsr parent;
};

G_DEFINE_TYPE(GstMyVendorAsr, gst_myvendor_asr, MEDIAFLOW_TYPE_VENDOR_ASR)
GST_ELEMENT_REGISTER_DEFINE(myvendorasr, "myvendorasr", GST_RANK_NONE, GST_TYPE_MYVENDOR_ASR)

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE(
    "sink", GST_PAD_SINK, GST_PAD_ALWAYS,
    GST_STATIC_CAPS("audio/x-raw, format=(string)S16LE, rate=(int)16000, channels=(int)1, "
                    "layout=(string)interleaved; audio/x-mulaw, rate=(int)8000, channels=(int)1"));

// The URL with the format in its query; the key in a header (never in the URL: URLs get logged).
static vendor::Connection gst_myvendor_asr_connection(MediaflowVendorAsr*, const vendor::ConnectionRequest& request) {
  std::string url = request.url;
  const bool mulaw = request.format.encoding == AudioFormat::Encoding::kMulaw;
  mediaflow::protocol::append_query_param(url, "encoding", mulaw ? "mulaw" : "linear16");
  mediaflow::protocol::append_query_param(url, "sample_rate", std::to_string(request.format.rate));
  return {url, {{"Authorization", "Bearer " + request.api_key}}};
}

// One server message → one result. Never put the text of a message into an error or a log.
static vendor::AsrResult gst_myvendor_asr_parse_message(MediaflowVendorAsr*, std::string_view text) {
  std::unique_ptr<JsonParser, decltype(&g_object_unref)> parser(json_parser_new(), g_object_unref);
  if (!json_parser_load_from_data(parser.get(), text.data(), gssize(text.size()), nullptr) ||
      !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser.get())))
    return vendor::VendorError{"a message that is not a JSON object"};
  JsonObject* o = json_node_get_object(json_parser_get_root(parser.get()));
  const std::string type = json_object_get_string_member_with_default(o, "type", "");
  const auto number = [o](const char* name) { return json_object_get_double_member_with_default(o, name, 0); };
  if (type == "transcript") {
    vendor::Transcript t;
    t.text = json_object_get_string_member_with_default(o, "text", "");
    t.is_final = t.end_of_utterance = json_object_get_boolean_member_with_default(o, "final", FALSE);
    t.start = number("start");
    t.duration = std::max(0.0, number("end") - t.start);
    t.confidence = 1.0;  // MyVendor gives none
    return t;
  }
  if (type == "speech_started") return vendor::SpeechStarted{number("time")};
  if (type == "closed") return vendor::Finished{};
  if (type == "error") return vendor::VendorError{json_object_get_string_member_with_default(o, "message", "")};
  return vendor::Ignore{"a message of type " + type};
}

// MyVendor closes with 4001 for a bad key and 4002 for audio it cannot decode: no retry helps.
static vendor::CloseVerdict gst_myvendor_asr_close_verdict(int code) {
  if (code == 4001) return {"the API key was refused", false};
  if (code == 4002) return {"the audio is not in the declared format", false};
  return {};
}

static void gst_myvendor_asr_init(GstMyVendorAsr*) {}

static void gst_myvendor_asr_class_init(GstMyVendorAsrClass* klass) {
  auto* element_class = GST_ELEMENT_CLASS(klass);
  auto* vendor_class = MEDIAFLOW_VENDOR_ASR_CLASS(klass);
  vendor_class->vendor = &kMyVendor;
  vendor_class->connection = gst_myvendor_asr_connection;
  vendor_class->parse_message = gst_myvendor_asr_parse_message;
  vendor_class->close_verdict = gst_myvendor_asr_close_verdict;
  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_set_static_metadata(element_class, "MyVendor speech recognition", "Sink/Audio/Analyzer",
                                        "Streams audio to MyVendor and posts transcripts "
                                        "(api-key: $MYVENDOR_API_KEY; url: $MYVENDOR_WS_URL)",
                                        "mediaflow");
  GST_DEBUG_CATEGORY_INIT(gst_myvendor_asr_debug, "myvendorasr", 0, "MyVendor speech recognition");
}
