#include <mediaflow/gstutil/transcript_stream.hpp>

#include <mediaflow/gstutil/structure_json.hpp>
#include <mediaflow/protocol/json_depth.hpp>

#include <json-glib/json-glib.h>

#include <cmath>
#include <cstring>
#include <memory>
#include <string_view>

namespace mediaflow::gstutil {
namespace {

constexpr const char* kTranscript = "mediaflow-transcript";
constexpr const char* kSpeechStarted = "mediaflow-speech-started";
constexpr const char* kUtteranceEnd = "mediaflow-utterance-end";

GstClockTime seconds_to_time(double s) {
  if (!std::isfinite(s) || s < 0) return GST_CLOCK_TIME_NONE;
  return static_cast<GstClockTime>(std::llround(s * GST_SECOND));
}

double double_field(const GstStructure* s, const char* field) {
  double v = 0;
  return gst_structure_get_double(s, field, &v) ? v : -1;
}

// Caller holds the pad's stream lock.
void start_stream(GstElement* element, GstPad* pad) {
  if (GstEvent* started = gst_pad_get_sticky_event(pad, GST_EVENT_STREAM_START, 0)) {
    gst_event_unref(started);
    return;
  }
  // Derived from the input's stream id where there is one input (gst_pad_create_stream_id()
  // allows no more), else a random one.
  gchar* id = nullptr;
  if (element->numsinkpads <= 1) {
    id = gst_pad_create_stream_id(pad, element, kTranscriptPadName);
  } else {
    gchar* uuid = g_uuid_string_random();
    id = g_strdup_printf("%s/%s", uuid, kTranscriptPadName);
    g_free(uuid);
  }
  GstEvent* start = gst_event_new_stream_start(id);
  g_free(id);
  gst_event_set_group_id(start, gst_util_group_id_next());
  gst_pad_push_event(pad, start);
  GstCaps* caps = gst_caps_new_empty_simple(MEDIAFLOW_TRANSCRIPT_CAPS);
  gst_pad_push_event(pad, gst_event_new_caps(caps));
  gst_caps_unref(caps);
  GstSegment segment;
  gst_segment_init(&segment, GST_FORMAT_TIME);  // PTS = running time = call time
  gst_pad_push_event(pad, gst_event_new_segment(&segment));
}

double member_double(JsonObject* o, const char* name) {
  JsonNode* n = json_object_get_member(o, name);
  if (!n || !JSON_NODE_HOLDS_VALUE(n)) return 0;
  const GType t = json_node_get_value_type(n);
  if (t == G_TYPE_DOUBLE) return json_node_get_double(n);
  if (t == G_TYPE_INT64) return static_cast<double>(json_node_get_int(n));
  return 0;
}

std::string member_string(JsonObject* o, const char* name) {
  JsonNode* n = json_object_get_member(o, name);
  if (!n || !JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING) return {};
  return json_node_get_string(n);
}

bool member_bool(JsonObject* o, const char* name) {
  JsonNode* n = json_object_get_member(o, name);
  return n && JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_BOOLEAN && json_node_get_boolean(n);
}

}  // namespace

GstPadTemplate* transcript_pad_template(GstPadDirection direction) {
  GstCaps* caps = gst_caps_new_empty_simple(MEDIAFLOW_TRANSCRIPT_CAPS);
  GstPadTemplate* t = gst_pad_template_new(kTranscriptPadName, direction, GST_PAD_ALWAYS, caps);
  gst_caps_unref(caps);
  return t;
}

GstPad* add_transcript_pad(GstElement* element, GstPadDirection direction) {
  GstPadTemplate* t = gst_element_class_get_pad_template(GST_ELEMENT_GET_CLASS(element), kTranscriptPadName);
  g_return_val_if_fail(t && GST_PAD_TEMPLATE_DIRECTION(t) == direction, nullptr);
  GstPad* pad = gst_pad_new_from_template(t, kTranscriptPadName);
  if (direction == GST_PAD_SRC) gst_pad_use_fixed_caps(pad);
  gst_element_add_pad(element, pad);
  return pad;
}

GstBuffer* make_transcript_buffer(const GstStructure* result) {
  std::string json = structure_to_json(result);
  const std::size_t size = json.size();
  GstBuffer* buffer = gst_buffer_new_memdup(json.data(), size);
  double at = -1;
  if (gst_structure_has_name(result, kTranscript)) {
    at = double_field(result, "start");
    const double duration = double_field(result, "duration");
    if (duration >= 0) GST_BUFFER_DURATION(buffer) = seconds_to_time(duration);
  } else if (gst_structure_has_name(result, kSpeechStarted)) {
    at = double_field(result, "timestamp");
  } else if (gst_structure_has_name(result, kUtteranceEnd)) {
    at = double_field(result, "last-word-end");
  }
  GST_BUFFER_PTS(buffer) = seconds_to_time(at);
  return buffer;
}

GstFlowReturn push_transcript(GstElement* element, GstPad* pad, const GstStructure* result) {
  GstBuffer* buffer = make_transcript_buffer(result);
  GST_PAD_STREAM_LOCK(pad);
  start_stream(element, pad);
  const GstFlowReturn ret = gst_pad_push(pad, buffer);
  GST_PAD_STREAM_UNLOCK(pad);
  if (ret != GST_FLOW_OK && ret != GST_FLOW_NOT_LINKED && ret != GST_FLOW_FLUSHING)
    GST_DEBUG_OBJECT(element, "transcript push: %s", gst_flow_get_name(ret));
  return ret;
}

void push_transcript_eos(GstElement* element, GstPad* pad) {
  GST_PAD_STREAM_LOCK(pad);
  start_stream(element, pad);
  gst_pad_push_event(pad, gst_event_new_eos());
  GST_PAD_STREAM_UNLOCK(pad);
}

std::optional<TranscriptResult> parse_transcript_buffer(GstBuffer* buffer) {
  GstMapInfo map;
  if (!buffer || !gst_buffer_map(buffer, &map, GST_MAP_READ)) return std::nullopt;
  const std::string_view text(reinterpret_cast<const char*>(map.data), map.size);
  std::optional<TranscriptResult> out;
  if (!protocol::json_nesting_beyond(text, protocol::kMaxVendorJsonDepth)) {
    std::unique_ptr<JsonParser, decltype(&g_object_unref)> parser(json_parser_new_immutable(), g_object_unref);
    if (json_parser_load_from_data(parser.get(), text.data(), gssize(text.size()), nullptr)) {
      JsonNode* root = json_parser_get_root(parser.get());
      JsonObject* o = root && JSON_NODE_HOLDS_OBJECT(root) ? json_node_get_object(root) : nullptr;
      if (o && !member_string(o, "type").empty()) {
        TranscriptResult r;
        r.type = member_string(o, "type");
        r.vendor = member_string(o, "vendor");
        if (r.type == kTranscript) {
          r.kind = TranscriptResult::Kind::kTranscript;
          r.text = member_string(o, "text");
          r.is_final = member_bool(o, "is-final");
          r.end_of_utterance = member_bool(o, "end-of-utterance");
          r.start = member_double(o, "start");
          r.duration = member_double(o, "duration");
          r.confidence = member_double(o, "confidence");
          r.channel = static_cast<int>(member_double(o, "channel"));
          JsonNode* words = json_object_get_member(o, "words");
          if (words && JSON_NODE_HOLDS_ARRAY(words)) {
            JsonArray* a = json_node_get_array(words);
            for (guint i = 0; i < json_array_get_length(a); ++i) {
              JsonNode* wn = json_array_get_element(a, i);
              if (!JSON_NODE_HOLDS_OBJECT(wn)) continue;
              JsonObject* w = json_node_get_object(wn);
              TranscriptWord word{member_string(w, "word"), member_double(w, "start"), member_double(w, "end"),
                                  member_double(w, "confidence"), std::nullopt};
              if (json_object_has_member(w, "punctuated")) word.punctuated = member_string(w, "punctuated");
              r.words.push_back(std::move(word));
            }
          }
        } else if (r.type == kSpeechStarted) {
          r.kind = TranscriptResult::Kind::kSpeechStarted;
          r.timestamp = member_double(o, "timestamp");
        } else if (r.type == kUtteranceEnd) {
          r.kind = TranscriptResult::Kind::kUtteranceEnd;
          r.last_word_end = member_double(o, "last-word-end");
        }
        out = std::move(r);
      }
    }
  }
  gst_buffer_unmap(buffer, &map);
  return out;
}

}  // namespace mediaflow::gstutil
