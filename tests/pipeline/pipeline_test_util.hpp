// Helpers shared by the pipeline tests: temp files, expected positions, running to EOS.
#pragma once

#include <mediaflow/pipeline/validate.hpp>

#include <gst/gst.h>
#include <gtest/gtest.h>

#include <filesystem>
#include "support/test_files.hpp"

#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>

namespace mediaflow::test {

// Line:col (1-based) of the first occurrence of `needle` in `text` (ASCII texts only).
inline std::string where(const std::string& text, const std::string& needle, size_t nth = 0) {
  size_t at = text.find(needle);
  while (nth-- > 0 && at != std::string::npos) at = text.find(needle, at + 1);
  EXPECT_NE(at, std::string::npos) << needle;
  int line = 1, col = 1;
  for (size_t i = 0; i < at; ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return std::to_string(line) + ":" + std::to_string(col);
}

inline std::string all_messages(const pipeline::Diagnostics& d) { return pipeline::to_string(d); }

// Plays the pipeline until EOS or error (30 s guard against hangs). Returns "" on EOS, else the
// error text.
inline std::string play_to_eos(GstElement* pipeline) {
  // A failed state change posts its error on the bus too: wait for it either way.
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  GstBus* bus = gst_element_get_bus(pipeline);
  GstMessage* msg = gst_bus_timed_pop_filtered(bus, 30 * GST_SECOND,
                                               GstMessageType(GST_MESSAGE_EOS | GST_MESSAGE_ERROR));
  std::string result = "timeout";
  if (msg && GST_MESSAGE_TYPE(msg) == GST_MESSAGE_EOS) {
    result = "";
  } else if (msg) {
    GError* err = nullptr;
    gst_message_parse_error(msg, &err, nullptr);
    result = std::string(GST_OBJECT_NAME(GST_MESSAGE_SRC(msg))) + ": " + (err ? err->message : "?");
    g_clear_error(&err);
  }
  if (msg) gst_message_unref(msg);
  gst_object_unref(bus);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  return result;
}

// Size of the "data" chunk of a WAV file (wavenc may add chunks after it, e.g. LIST).
inline uint64_t wav_data_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (bytes.size() < 12 || bytes.compare(0, 4, "RIFF") != 0 || bytes.compare(8, 4, "WAVE") != 0) return 0;
  size_t at = 12;
  while (at + 8 <= bytes.size()) {
    uint32_t size = static_cast<uint8_t>(bytes[at + 4]) | static_cast<uint8_t>(bytes[at + 5]) << 8 |
                    static_cast<uint8_t>(bytes[at + 6]) << 16 | static_cast<uint32_t>(static_cast<uint8_t>(bytes[at + 7])) << 24;
    if (bytes.compare(at, 4, "data") == 0) return at + 8 + size <= bytes.size() ? size : 0;
    at += 8 + size + (size & 1);
  }
  return 0;
}

}  // namespace mediaflow::test
