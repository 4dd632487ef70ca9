/**
 * SECTION:element-assemblyaiasr
 *
 * Streams call audio to AssemblyAI Universal-Streaming (v3) over a WebSocket and posts what it
 * hears in the transcript schema (docs/transcript-schema.md): `mediaflow-transcript` (a turn:
 * interim until its end_of_turn, then final and end-of-utterance, with its words),
 * `mediaflow-speech-started`, and `mediaflow-vendor-reconnect` {vendor} after a drop.
 *
 * A MediaflowVendorAsr (mediaflow/vendor/vendor_asr.hpp), which owns every property:
 * `api-key` (default $ASSEMBLYAI_API_KEY, sent raw in Authorization), `url` (default
 * $ASSEMBLYAI_WS_URL, else wss://streaming.assemblyai.com/v3/ws), `chunk-ms` (default 100,
 * 50–1000: AssemblyAI closes a session whose messages are outside that), `on-failure`
 * (default continue), `keepalive-interval`, `reconnect-buffer`, `max-reconnects`,
 * `finalize-timeout`, `stall-timeout` (default 0: AssemblyAI says nothing while nobody speaks).
 * Audio never goes out faster than real time (AssemblyAI closes 3007), so a backlog resent
 * after a reconnect is paced. The call's audio is sent as it comes, nothing decoded or
 * resampled for AssemblyAI: mu-law at 8 kHz as pcm_mulaw (Twilio), S16LE mono at any rate from
 * 8 to 64 kHz as pcm_s16le with that sample_rate (jambonz). Every message holds exactly
 * chunk-ms of audio but the last at EOS. On EOS: the rest of the audio (the last message padded to 50 ms),
 * Terminate, and EOS once Termination has come, so the last turn is kept.
 *
 * ## Example launch line (against the test fake; see plugins/asr_assemblyai/README.md)
 * |[
 * ASSEMBLYAI_API_KEY=test-key ASSEMBLYAI_WS_URL=ws://127.0.0.1:8766/v3/ws \
 * gst-launch-1.0 -m audiotestsrc num-buffers=100 ! audio/x-raw,format=S16LE,rate=16000,channels=1 ! assemblyaiasr
 * ]|
 */
#include "gstassemblyaiasr.hpp"

#include "assemblyai_protocol.hpp"

GST_DEBUG_CATEGORY_STATIC(gst_assemblyai_asr_debug);
#define GST_CAT_DEFAULT gst_assemblyai_asr_debug

namespace aai = mediaflow::assemblyai;
namespace vendor = mediaflow::vendor;

namespace {

const vendor::AsrVendorInfo kAssemblyAi{
    .name = "assemblyai", .display_name = "AssemblyAI",
    .api_key_env = "ASSEMBLYAI_API_KEY", .url_env = "ASSEMBLYAI_WS_URL",
    .default_url = "wss://streaming.assemblyai.com/v3/ws",
    // 50–1000 ms per message, none faster than real time: else AssemblyAI closes with 3007.
    .chunk_ms_default = 100, .chunk_ms_min = aai::kMinChunkMs, .chunk_ms_max = aai::kMaxChunkMs,
    .min_message_ms = aai::kMinChunkMs, .real_time = true,
    .keepalive_message = aai::encode_control(aai::Control::kKeepAlive),
    .finalize_message = aai::encode_control(aai::Control::kTerminate),
};

}  // namespace

struct _GstAssemblyAiAsr {
  MediaflowVendorAsr parent;
};

G_DEFINE_TYPE(GstAssemblyAiAsr, gst_assemblyai_asr, MEDIAFLOW_TYPE_VENDOR_ASR)
GST_ELEMENT_REGISTER_DEFINE(assemblyaiasr, "assemblyaiasr", GST_RANK_NONE, GST_TYPE_ASSEMBLYAI_ASR)

static GstStaticPadTemplate sink_template = GST_STATIC_PAD_TEMPLATE(
    "sink", GST_PAD_SINK, GST_PAD_ALWAYS,
    // What AssemblyAI v3 takes, sent as it comes: pcm_s16le at the sample_rate given (here
    // every jambonz rate, 8–64 kHz) and pcm_mulaw (Twilio's, 8 kHz).
    GST_STATIC_CAPS("audio/x-raw, format=(string)S16LE, rate=(int)[ 8000, 64000 ], channels=(int)1, "
                    "layout=(string)interleaved; audio/x-mulaw, rate=(int)8000, channels=(int)1"));

static vendor::Connection gst_assemblyai_asr_connection(MediaflowVendorAsr*, const vendor::ConnectionRequest& request) {
  aai::StreamOptions options;
  options.sample_rate = request.format.rate;
  options.encoding = request.format.encoding == mediaflow::transport::AudioFormat::Encoding::kMulaw ? aai::Encoding::kPcmMulaw : aai::Encoding::kPcmS16le;
  return {aai::build_url(request.url, options), {{aai::kAuthorizationHeader, request.api_key}}};
}

static vendor::AsrResult gst_assemblyai_asr_parse_message(MediaflowVendorAsr*, std::string_view text) {
  const aai::ServerMessage m = aai::parse_server_message(text);
  if (const auto* turn = std::get_if<aai::Turn>(&m)) return aai::segment_of(*turn, false);
  if (const auto* started = std::get_if<aai::SpeechStarted>(&m)) return vendor::SpeechStarted{started->timestamp};
  if (std::holds_alternative<aai::Termination>(m)) return vendor::Finished{};
  if (const auto* e = std::get_if<aai::ServerError>(&m)) return vendor::VendorError{std::to_string(e->code) + " " + e->message};
  if (const auto* bad = std::get_if<aai::Malformed>(&m)) return vendor::VendorError{bad->description};
  return vendor::Ignore{std::holds_alternative<aai::Begin>(m) ? "Begin" : std::get<aai::Unknown>(m).type};
}

static void gst_assemblyai_asr_init(GstAssemblyAiAsr*) {}

static void gst_assemblyai_asr_class_init(GstAssemblyAiAsrClass* klass) {
  auto* element_class = GST_ELEMENT_CLASS(klass);
  auto* vendor_class = MEDIAFLOW_VENDOR_ASR_CLASS(klass);
  vendor_class->vendor = &kAssemblyAi;
  vendor_class->connection = gst_assemblyai_asr_connection;
  vendor_class->parse_message = gst_assemblyai_asr_parse_message;
  vendor_class->close_verdict = aai::describe_close;
  gst_element_class_add_static_pad_template(element_class, &sink_template);
  gst_element_class_set_static_metadata(element_class, "AssemblyAI speech recognition", "Sink/Audio/Analyzer",
                                        "Streams audio to AssemblyAI Universal-Streaming and posts transcripts "
                                        "(api-key: $ASSEMBLYAI_API_KEY; url: $ASSEMBLYAI_WS_URL)",
                                        "mediaflow");
  GST_DEBUG_CATEGORY_INIT(gst_assemblyai_asr_debug, "assemblyaiasr", 0, "AssemblyAI speech recognition");
}
