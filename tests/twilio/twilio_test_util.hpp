// Helpers for the twilio plugin tests: real pipelines run to EOS, captures on disk, spawned
// GStreamer tools.
#pragma once

#include <mediaflow/plugin_registry.hpp>
#include <mediaflow/protocol/twilio_capture.hpp>
#include <mediaflow/protocol/twilio_envelope.hpp>

#include <gst/gst.h>
#include <gtest/gtest.h>

#include "support/paths.hpp"
#include "support/spawn.hpp"
#include "support/test_files.hpp"

#include <sys/wait.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace mediaflow::test::twilio_util {

inline void init_gst_with_plugins() {
  gst_init(nullptr, nullptr);
  static bool loaded = false;
  if (!loaded) {
    loaded = true;
    auto report = mediaflow::load_plugins(mediaflow::test::plugin_dir());
    for (const auto& e : report.errors) ADD_FAILURE() << e.message();
  }
}

using mediaflow::test::TempDir;

inline void write_file(const std::filesystem::path& p, const std::string& text) {
  std::ofstream f(p, std::ios::binary);
  f << text;
}

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

struct Captured {
  std::vector<std::uint8_t> bytes;
  std::vector<GstClockTime> pts;
  std::vector<GstClockTime> duration;
};

struct RunResult {
  bool eos = false;
  std::string error;                          // first error message, with debug text
  std::vector<std::string> warnings;          // "message | debug"
  std::vector<GstStructure*> element_messages;  // owned copies
  ~RunResult() {
    for (auto* s : element_messages) gst_structure_free(s);
  }
  const GstStructure* find(const char* name, std::size_t nth = 0) const {
    for (auto* s : element_messages)
      if (gst_structure_has_name(s, name) && nth-- == 0) return s;
    return nullptr;
  }
};

inline void on_handoff(GstElement*, GstBuffer* buffer, GstPad*, gpointer data) {
  auto* c = static_cast<Captured*>(data);
  GstMapInfo map;
  ASSERT_TRUE(gst_buffer_map(buffer, &map, GST_MAP_READ));
  c->bytes.insert(c->bytes.end(), map.data, map.data + map.size);
  gst_buffer_unmap(buffer, &map);
  c->pts.push_back(GST_BUFFER_PTS(buffer));
  c->duration.push_back(GST_BUFFER_DURATION(buffer));
}

// Runs `launch` (which must contain `fakesink name=tap` unless `captured` is null) to EOS or
// error, collecting the tap's buffers and the bus messages. Times out after 20 s.
inline void run_pipeline(const std::string& launch, Captured* captured, RunResult& result) {
  GError* err = nullptr;
  GstElement* pipeline = gst_parse_launch(launch.c_str(), &err);
  ASSERT_NE(pipeline, nullptr) << (err ? err->message : "?");
  ASSERT_EQ(err, nullptr) << err->message;
  if (captured) {
    GstElement* tap = gst_bin_get_by_name(GST_BIN(pipeline), "tap");
    ASSERT_NE(tap, nullptr);
    g_object_set(tap, "signal-handoffs", TRUE, "sync", FALSE, nullptr);
    g_signal_connect(tap, "handoff", G_CALLBACK(on_handoff), captured);
    gst_object_unref(tap);
  }
  GstBus* bus = gst_element_get_bus(pipeline);
  if (gst_element_set_state(pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    result.error = "state change failed";
  }
  const gint64 deadline = g_get_monotonic_time() + 20 * G_TIME_SPAN_SECOND;
  while (g_get_monotonic_time() < deadline) {
    GstMessage* msg = gst_bus_timed_pop(bus, 100 * GST_MSECOND);
    if (!msg) {
      if (!result.error.empty()) break;  // failed before any message could end the run
      continue;
    }
    bool done = false;
    switch (GST_MESSAGE_TYPE(msg)) {
      case GST_MESSAGE_EOS:
        result.eos = true;
        done = true;
        break;
      case GST_MESSAGE_ERROR:
      case GST_MESSAGE_WARNING: {
        GError* e = nullptr;
        gchar* debug = nullptr;
        if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) gst_message_parse_error(msg, &e, &debug);
        else gst_message_parse_warning(msg, &e, &debug);
        std::string text = std::string(e->message) + " | " + (debug ? debug : "");
        if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
          result.error = text;
          done = true;
        } else {
          result.warnings.push_back(text);
        }
        g_clear_error(&e);
        g_free(debug);
        break;
      }
      case GST_MESSAGE_ELEMENT:
        result.element_messages.push_back(gst_structure_copy(gst_message_get_structure(msg)));
        break;
      default:
        break;
    }
    gst_message_unref(msg);
    if (done) break;
  }
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(bus);
  gst_object_unref(pipeline);
}

// S16LE bytes → samples.
inline std::vector<std::int16_t> as_s16(const std::vector<std::uint8_t>& bytes) {
  std::vector<std::int16_t> s(bytes.size() / 2);
  for (std::size_t i = 0; i < s.size(); ++i)
    s[i] = static_cast<std::int16_t>(bytes[2 * i] | (bytes[2 * i + 1] << 8));
  return s;
}

// One media line per (timestamp_ms, payload).
inline std::string capture_lines(const std::vector<std::pair<std::uint64_t, std::vector<std::uint8_t>>>& frames,
                                 const std::string& stream_sid = "MZtest") {
  namespace tw = mediaflow::protocol::twilio;
  std::string out = tw::encode_connected() + "\n";
  tw::StartEvent start;
  start.stream_sid = stream_sid;
  start.call_sid = "CAtest";
  start.account_sid = "ACtest";
  start.tracks = {"inbound"};
  std::uint64_t seq = 1;
  out += tw::encode_start(seq++, start) + "\n";
  std::uint64_t chunk = 1;
  for (const auto& [ts, payload] : frames)
    out += tw::encode_inbound_media(seq++, stream_sid, "inbound", chunk++, ts, payload) + "\n";
  out += tw::encode_stop(seq, stream_sid, "ACtest", "CAtest") + "\n";
  return out;
}

using SpawnResult = mediaflow::test::ProcessResult;

// Runs argv with extra environment entries ("NAME=value"); inherits the rest.
inline SpawnResult spawn(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env = {}) {
  return mediaflow::test::run_process(argv, extra_env);
}

// Environment for a spawned gst tool: our plugins on GST_PLUGIN_PATH, a registry of its own.
inline std::vector<std::string> gst_tool_env(const TempDir& dir) {
  return mediaflow::test::gst_tool_env(dir / "registry.bin");
}

}  // namespace mediaflow::test::twilio_util
