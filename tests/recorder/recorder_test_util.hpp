// Helpers for the recorder tests: temp folders, reading WAVs back, running a pipeline to EOS
// while collecting its bus messages.
#pragma once

#include <mediaflow/plugin_registry.hpp>
#include <mediaflow/protocol/wav_header.hpp>

#include "support/paths.hpp"
#include "support/test_files.hpp"

#include <gst/gst.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace mediaflow::test::recorder {
namespace fs = std::filesystem;

using test::files_ending;
using test::read_wav;
using test::slurp;
using test::TempDir;
using test::Wav;

struct BusLog {
  bool eos = false;
  std::string error;
  std::vector<std::string> warnings;
  std::vector<GstStructure*> elements;  // owned
  ~BusLog() {
    for (auto* s : elements) gst_structure_free(s);
  }
  const GstStructure* find(const char* name) const {
    for (auto* s : elements)
      if (gst_structure_has_name(s, name)) return s;
    return nullptr;
  }
};

// Plays `pipeline` until EOS or error (or 20 s), then sets it to NULL.
inline void run_to_eos(GstElement* pipeline, BusLog& log) {
  GstBus* bus = gst_element_get_bus(pipeline);
  EXPECT_NE(gst_element_set_state(pipeline, GST_STATE_PLAYING), GST_STATE_CHANGE_FAILURE);
  for (;;) {
    GstMessage* m = gst_bus_timed_pop(bus, 20 * GST_SECOND);
    if (!m) {
      ADD_FAILURE() << "pipeline did not reach EOS within 20 s";
      break;
    }
    bool done = false;
    switch (GST_MESSAGE_TYPE(m)) {
      case GST_MESSAGE_EOS: log.eos = done = true; break;
      case GST_MESSAGE_ERROR: {
        GError* e = nullptr;
        gst_message_parse_error(m, &e, nullptr);
        log.error = e->message;
        g_error_free(e);
        done = true;
        break;
      }
      case GST_MESSAGE_WARNING: {
        GError* e = nullptr;
        gst_message_parse_warning(m, &e, nullptr);
        log.warnings.push_back(e->message);
        g_error_free(e);
        break;
      }
      case GST_MESSAGE_ELEMENT:
        log.elements.push_back(gst_structure_copy(gst_message_get_structure(m)));
        break;
      default: break;
    }
    gst_message_unref(m);
    if (done) break;
  }
  gst_element_set_state(pipeline, GST_STATE_NULL);
  gst_object_unref(bus);
}

class RecorderPipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    gst_init(nullptr, nullptr);
    mediaflow::load_plugins(mediaflow::test::plugin_dir());
    ASSERT_NE(gst_element_factory_find("callrecorder"), nullptr) << "recorder plugin not loaded";
  }
  GstElement* launch(const std::string& line) {
    GError* err = nullptr;
    GstElement* p = gst_parse_launch(line.c_str(), &err);
    EXPECT_EQ(err, nullptr) << (err ? err->message : "");
    if (err) g_error_free(err);
    return p;
  }
  TempDir tmp;
};

}  // namespace mediaflow::test::recorder
