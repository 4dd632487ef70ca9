#include <mediaflow/protocol/recording_manifest.hpp>

#include <mediaflow/protocol/json_depth.hpp>
#include <mediaflow/protocol/json_number.hpp>

#include <json-glib/json-glib.h>

#include <cstdio>
#include <ctime>

namespace mediaflow::protocol {
namespace {

void add_string(JsonBuilder* b, const char* key, const std::string& v) {
  json_builder_set_member_name(b, key);
  json_builder_add_string_value(b, v.c_str());
}
void add_int(JsonBuilder* b, const char* key, std::int64_t v) {
  json_builder_set_member_name(b, key);
  json_builder_add_int_value(b, v);
}

// json-glib reads octal escapes such as "\777" as bytes that are not UTF-8 (0xFF); a manifest written
// with them could not be read back, so such a string counts as absent, like a wrong type.
std::string valid_utf8_or_empty(const char* text) {
  return text && g_utf8_validate(text, -1, nullptr) ? text : "";
}

std::string get_string(JsonObject* o, const char* key) {
  JsonNode* n = json_object_get_member(o, key);
  if (!n || JSON_NODE_TYPE(n) != JSON_NODE_VALUE || json_node_get_value_type(n) != G_TYPE_STRING)
    return {};
  return valid_utf8_or_empty(json_node_get_string(n));
}
enum class IntRead { kAbsent, kOk, kOutOfRange };

// A number member as an integer into *out (left alone unless kOk). kAbsent: missing or not a
// number (callers keep their default); kOutOfRange: a number beyond 64 bits, which a cast would
// turn into undefined behaviour.
IntRead read_int(JsonObject* o, const char* key, std::int64_t* out) {
  JsonNode* n = json_object_get_member(o, key);
  if (!n || JSON_NODE_TYPE(n) != JSON_NODE_VALUE) return IntRead::kAbsent;
  const GType t = json_node_get_value_type(n);
  if (t == G_TYPE_INT64) {
    *out = json_node_get_int(n);
    return IntRead::kOk;
  }
  if (t != G_TYPE_DOUBLE) return IntRead::kAbsent;
  const double d = json_node_get_double(n);
  if (!(d >= -0x1p63 && d < 0x1p63)) return IntRead::kOutOfRange;  // NaN fails too
  *out = static_cast<std::int64_t>(d);
  return IntRead::kOk;
}

std::int64_t get_int(JsonObject* o, const char* key, std::int64_t fallback) {
  std::int64_t v = fallback;
  return read_int(o, key, &v) == IntRead::kOk ? v : fallback;
}

// Recovery computes whole frames from these: a frame of 16-bit samples must fit a WAV header's
// 16-bit block align, and a rate of 0 has no duration.
bool read_audio_format(JsonObject* o, RecordingManifest* m) {
  std::int64_t rate = m->sample_rate;
  std::int64_t channels = m->channels;
  if (read_int(o, "sample_rate", &rate) == IntRead::kOutOfRange ||
      read_int(o, "channels", &channels) == IntRead::kOutOfRange)
    return false;
  if (rate < 1 || rate > 0xFFFFFFFF || channels < 1 || channels > 0x7FFF) return false;
  m->sample_rate = static_cast<std::uint32_t>(rate);
  m->channels = static_cast<std::uint16_t>(channels);
  return true;
}
double get_double(JsonObject* o, const char* key) {
  JsonNode* n = json_object_get_member(o, key);
  if (!n || JSON_NODE_TYPE(n) != JSON_NODE_VALUE) return 0;
  const GType t = json_node_get_value_type(n);
  if (t == G_TYPE_DOUBLE) return json_node_get_double(n);
  if (t == G_TYPE_INT64) return static_cast<double>(json_node_get_int(n));
  return 0;
}
JsonArray* get_array(JsonObject* o, const char* key) {
  JsonNode* n = json_object_get_member(o, key);
  return n && JSON_NODE_HOLDS_ARRAY(n) ? json_node_get_array(n) : nullptr;
}
bool get_bool(JsonObject* o, const char* key) {
  JsonNode* n = json_object_get_member(o, key);
  return n && JSON_NODE_TYPE(n) == JSON_NODE_VALUE &&
         json_node_get_value_type(n) == G_TYPE_BOOLEAN && json_node_get_boolean(n);
}

}  // namespace

std::string manifest_to_json(const RecordingManifest& m) {
  JsonBuilder* b = json_builder_new();
  json_builder_begin_object(b);
  add_string(b, "call_sid", m.call_sid);
  add_string(b, "stream_sid", m.stream_sid);
  add_string(b, "recording_id", m.recording_id);
  add_string(b, "organization_id", m.organization_id);
  add_string(b, "started_at", m.started_at);
  if (m.complete) {
    json_builder_set_member_name(b, "duration_seconds");
    json_builder_add_double_value(b, m.duration_seconds);
  }
  add_int(b, "sample_rate", m.sample_rate);
  add_int(b, "channels", m.channels);
  json_builder_set_member_name(b, "tracks");
  json_builder_begin_array(b);
  for (const auto& t : m.tracks) json_builder_add_string_value(b, t.c_str());
  json_builder_end_array(b);
  add_string(b, "layout", m.layout);
  if (m.complete) {
    add_int(b, "bytes", static_cast<std::int64_t>(m.bytes));
    add_string(b, "sha256", m.sha256);
    json_builder_set_member_name(b, "files");
    json_builder_begin_array(b);
    for (const auto& f : m.files) {
      json_builder_begin_object(b);
      add_string(b, "file", f.file);
      add_string(b, "track", f.track);
      add_int(b, "bytes", static_cast<std::int64_t>(f.bytes));
      add_string(b, "sha256", f.sha256);
      json_builder_end_object(b);
    }
    json_builder_end_array(b);
  }
  add_string(b, "pipeline", m.pipeline);
  if (m.complete && m.dropped_buffers) add_int(b, "dropped_buffers", static_cast<std::int64_t>(m.dropped_buffers));
  if (m.recovered) {
    json_builder_set_member_name(b, "recovered");
    json_builder_add_boolean_value(b, TRUE);
  }
  if (m.truncated) {
    json_builder_set_member_name(b, "truncated");
    json_builder_add_boolean_value(b, TRUE);
  }
  if (m.agent_audio) {
    const AgentAudio& a = *m.agent_audio;
    json_builder_set_member_name(b, "agent_audio");
    json_builder_begin_object(b);
    add_string(b, "vendor", a.vendor);
    add_string(b, "user_input_format", a.user_input_format);
    add_string(b, "agent_output_format", a.agent_output_format);
    add_string(b, "sink_format", a.sink_format);
    add_string(b, "src_format", a.src_format);
    json_builder_set_member_name(b, "input_converted");
    json_builder_add_boolean_value(b, a.input_converted);
    json_builder_set_member_name(b, "output_converted");
    json_builder_add_boolean_value(b, a.output_converted);
    json_builder_end_object(b);
  }
  json_builder_end_object(b);

  JsonNode* root = json_builder_get_root(b);
  std::string out = manifest_text(root);
  json_node_unref(root);
  g_object_unref(b);
  return out;
}

std::string manifest_text(JsonNode* root) {
  JsonGenerator* gen = json_generator_new();
  json_generator_set_pretty(gen, TRUE);
  json_generator_set_root(gen, root);
  gchar* text = json_generator_to_data(gen, nullptr);
  std::string out(text);
  out.push_back('\n');
  g_free(text);
  g_object_unref(gen);
  return out;
}

std::optional<RecordingManifest> manifest_from_json(std::string_view json, std::string* error) {
  if (auto at = json_nesting_beyond(json, kMaxVendorJsonDepth)) {  // json-glib would recurse that deep
    if (error) *error = "nesting deeper than " + std::to_string(kMaxVendorJsonDepth) + " at byte " + std::to_string(*at);
    return std::nullopt;
  }
  JsonParser* parser = json_parser_new();
  GError* err = nullptr;
  std::optional<RecordingManifest> out;
  if (!json_parser_load_from_data(parser, json.data(), static_cast<gssize>(json.size()), &err)) {
    if (error) *error = err ? err->message : "invalid JSON";
    g_clear_error(&err);
  } else if (JsonNode* root = json_parser_get_root(parser); !root || !JSON_NODE_HOLDS_OBJECT(root)) {
    if (error) *error = "manifest is not a JSON object";
  } else {
    JsonObject* o = json_node_get_object(root);
    RecordingManifest m;
    m.call_sid = get_string(o, "call_sid");
    m.stream_sid = get_string(o, "stream_sid");
    m.recording_id = get_string(o, "recording_id");
    m.organization_id = get_string(o, "organization_id");
    m.started_at = get_string(o, "started_at");
    m.pipeline = get_string(o, "pipeline");
    if (auto layout = get_string(o, "layout"); !layout.empty()) m.layout = layout;
    const bool format_usable = read_audio_format(o, &m);
    if (JsonArray* a = get_array(o, "tracks")) {
      m.tracks.clear();
      for (guint i = 0; i < json_array_get_length(a); ++i) {
        JsonNode* n = json_array_get_element(a, i);
        if (JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == G_TYPE_STRING)
          if (std::string track = valid_utf8_or_empty(json_node_get_string(n)); !track.empty())
            m.tracks.push_back(std::move(track));
      }
    }
    m.complete = json_object_has_member(o, "sha256");
    m.duration_seconds = get_double(o, "duration_seconds");
    m.bytes = static_cast<std::uint64_t>(get_int(o, "bytes", 0));
    m.sha256 = get_string(o, "sha256");
    if (JsonArray* a = get_array(o, "files")) {
      for (guint i = 0; i < json_array_get_length(a); ++i) {
        JsonNode* n = json_array_get_element(a, i);
        if (!JSON_NODE_HOLDS_OBJECT(n)) continue;
        JsonObject* fo = json_node_get_object(n);
        m.files.push_back({get_string(fo, "file"), get_string(fo, "track"),
                           static_cast<std::uint64_t>(get_int(fo, "bytes", 0)), get_string(fo, "sha256")});
      }
    }
    m.dropped_buffers = static_cast<std::uint64_t>(get_int(o, "dropped_buffers", 0));
    m.recovered = get_bool(o, "recovered");
    m.truncated = get_bool(o, "truncated");
    if (JsonNode* n = json_object_get_member(o, "agent_audio"); n && JSON_NODE_HOLDS_OBJECT(n)) {
      JsonObject* ao = json_node_get_object(n);
      m.agent_audio = AgentAudio{get_string(ao, "vendor"),        get_string(ao, "user_input_format"),
                                 get_string(ao, "agent_output_format"), get_string(ao, "sink_format"),
                                 get_string(ao, "src_format"),    get_bool(ao, "input_converted"),
                                 get_bool(ao, "output_converted")};
    }
    if (m.recording_id.empty()) {
      if (error) *error = "manifest has no recording_id";
    } else if (!format_usable) {
      if (error) *error = "manifest has no usable audio format (channels, sample_rate)";
    } else {
      out = std::move(m);
    }
  }
  g_object_unref(parser);
  return out;
}

std::string format_iso8601_utc(std::chrono::system_clock::time_point t) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  int millis = static_cast<int>(ms % 1000);
  if (millis < 0) {
    millis += 1000;
    --secs;
  }
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
  return buf;
}

}  // namespace mediaflow::protocol
