#include "cli/commands.hpp"

#include <mediaflow/protocol/redact.hpp>
#include "cli/pipeline_args.hpp"

#include <mediaflow/gstutil/structure_json.hpp>
#include <mediaflow/pipeline/build.hpp>

#include <glib-unix.h>
#include <gst/gst.h>

#include <csignal>
#include <cstdio>

namespace mediaflow::cli {
namespace {

// Element messages with a documented schema (docs/architecture.md, "Bus messages").
constexpr const char* kEventMessages[] = {"twilio-dtmf",
                                          "twilio-mark",
                                          "mediaflow-transcript",
                                          "mediaflow-speech-started",
                                          "mediaflow-utterance-end",
                                          "mediaflow-agent-event",
                                          "recording-complete"};

struct RunState {
  GMainLoop* loop;
  GstElement* pipeline;
  int exit_code = 0;
  bool eos_sent = false;
};

void print_problem(const char* kind, GstMessage* msg, GError* err, gchar* debug) {
  // Elements quote URLs in their errors (souphttpsrc: "URL: …"); their credentials never show.
  std::fprintf(stderr, "mediaflow run: %s from element '%s': %s\n", kind, GST_OBJECT_NAME(GST_MESSAGE_SRC(msg)),
               protocol::redact_url_credentials(err ? err->message : "?").c_str());
  if (debug) std::fprintf(stderr, "  (%s)\n", protocol::redact_url_credentials(debug).c_str());
}

gboolean on_bus(GstBus*, GstMessage* msg, gpointer data) {
  auto* st = static_cast<RunState*>(data);
  switch (GST_MESSAGE_TYPE(msg)) {
    case GST_MESSAGE_EOS:
      g_main_loop_quit(st->loop);
      break;
    case GST_MESSAGE_ERROR: {
      GError* err = nullptr;
      gchar* debug = nullptr;
      gst_message_parse_error(msg, &err, &debug);
      print_problem("error", msg, err, debug);
      g_clear_error(&err);
      g_free(debug);
      st->exit_code = 1;
      g_main_loop_quit(st->loop);
      break;
    }
    case GST_MESSAGE_WARNING: {
      GError* err = nullptr;
      gchar* debug = nullptr;
      gst_message_parse_warning(msg, &err, &debug);
      print_problem("warning", msg, err, debug);
      g_clear_error(&err);
      g_free(debug);
      break;
    }
    case GST_MESSAGE_ELEMENT: {
      const GstStructure* s = gst_message_get_structure(msg);
      if (!s) break;
      for (const char* name : kEventMessages) {
        if (gst_structure_has_name(s, name)) {
          std::printf("%s\n", gstutil::structure_to_json(s).c_str());
          std::fflush(stdout);
        }
      }
      break;
    }
    default:
      break;
  }
  return G_SOURCE_CONTINUE;
}

gboolean on_interrupt(gpointer data) {
  auto* st = static_cast<RunState*>(data);
  if (st->eos_sent) {
    std::fprintf(stderr, "mediaflow run: interrupted again, stopping now\n");
    st->exit_code = 1;
    g_main_loop_quit(st->loop);
    return G_SOURCE_CONTINUE;
  }
  std::fprintf(stderr, "mediaflow run: interrupted, finishing (end of stream)…\n");
  st->eos_sent = true;
  gst_element_send_event(st->pipeline, gst_event_new_eos());
  return G_SOURCE_CONTINUE;
}

}  // namespace

int cmd_run(const Args& args) {
  if (wants_help(args)) {
    std::printf(
        "usage: mediaflow run FILE [--set KEY=VALUE]…\n\n"
        "Validates and builds the pipeline of FILE (variables from --set, as for launch-line),\n"
        "plays it and waits for the end of stream. Bus errors and warnings are printed to\n"
        "stderr with the element (node) name; the documented element messages (twilio-dtmf,\n"
        "twilio-mark, mediaflow-transcript, mediaflow-speech-started, mediaflow-utterance-end,\n"
        "mediaflow-agent-event, recording-complete) are printed to stdout as JSON lines.\n"
        "Ctrl-C sends end-of-stream (files get finalised); a second Ctrl-C stops at once.\n"
        "Exit code 0 at end of stream, 1 on an error or a pipeline that cannot be built.\n");
    return 0;
  }
  PipelineArgs pa;
  if (!parse_pipeline_args(args, "run", &pa)) return 2;
  if (!init_media()) return 1;
  GstElement* pipeline = build_or_report(pa);
  if (!pipeline) return 1;
  RunState st{g_main_loop_new(nullptr, FALSE), pipeline};
  GstBus* bus = gst_element_get_bus(pipeline);
  guint watch = gst_bus_add_watch(bus, on_bus, &st);
  guint sigint = g_unix_signal_add(SIGINT, on_interrupt, &st);
  if (gst_element_set_state(pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    // The element that failed posted an error saying why.
    st.exit_code = 1;
    bool told = false;
    while (GstMessage* msg = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR)) {
      on_bus(bus, msg, &st);
      gst_message_unref(msg);
      told = true;
    }
    if (!told) std::fprintf(stderr, "mediaflow run: the pipeline cannot start\n");
  } else {
    g_main_loop_run(st.loop);
  }
  gst_element_set_state(pipeline, GST_STATE_NULL);
  g_source_remove(sigint);
  g_source_remove(watch);
  gst_object_unref(bus);
  gst_object_unref(pipeline);
  g_main_loop_unref(st.loop);
  return st.exit_code;
}

}  // namespace mediaflow::cli
