#include "support/agent_call.hpp"

#include <mediaflow/gstutil/custom_events.hpp>
#include <mediaflow/gstutil/transcript_stream.hpp>
#include <mediaflow/protocol/twilio_envelope.hpp>

#include <chrono>
#include <thread>

namespace mediaflow::test {

namespace {

// The `transcript` sink pad of `element` or of an element inside it (a bin made by
// gst_parse_bin_from_description ghosts only its audio pads). Transfer full; null if none.
GstPad* find_transcript_sink(GstElement* element) {
  if (GstPad* pad = gst_element_get_static_pad(element, mediaflow::gstutil::kTranscriptPadName)) {
    if (GST_PAD_IS_SINK(pad)) return pad;
    gst_object_unref(pad);
  }
  if (!GST_IS_BIN(element)) return nullptr;
  GstPad* found = nullptr;
  GstIterator* it = gst_bin_iterate_recurse(GST_BIN(element));
  GValue item = G_VALUE_INIT;
  while (!found && gst_iterator_next(it, &item) == GST_ITERATOR_OK) {
    GstPad* pad = gst_element_get_static_pad(GST_ELEMENT(g_value_get_object(&item)), mediaflow::gstutil::kTranscriptPadName);
    if (pad && GST_PAD_IS_SINK(pad)) {
      found = pad;
    } else if (pad) {
      gst_object_unref(pad);
    }
    g_value_reset(&item);
  }
  g_value_unset(&item);
  gst_iterator_free(it);
  return found;
}

std::string json_string_after(const std::string& json, const std::string& key) {
  const auto p = json.find("\"" + key + "\":\"");
  if (p == std::string::npos) return {};
  const auto start = p + key.size() + 4;
  return json.substr(start, json.find('"', start) - start);
}

}  // namespace

AgentCall::AgentCall(GstElement* agent, std::string caps, std::size_t bytes_per_second)
    : caps_(std::move(caps)), bytes_per_second_(bytes_per_second) {
  loop_.run_sync([&] {
    pipeline_ = gst_pipeline_new("call");
    agent_ = agent;
    sink_ = gst_element_factory_make("twiliosink", "sink");
    g_object_set(sink_, "stream-sid", "MZ00000000000000000000000000000001", nullptr);
    g_signal_connect(sink_, "outbound-message", G_CALLBACK(on_outbound), this);
    gst_bin_add_many(GST_BIN(pipeline_), agent_, sink_, nullptr);
    gst_element_link(agent_, sink_);
    src_ = gst_pad_new("src", GST_PAD_SRC);
    GstPad* sinkpad = gst_element_get_static_pad(agent_, "sink");
    gst_pad_link(src_, sinkpad);
    gst_object_unref(sinkpad);
    // What the ASR would push: linked straight to the agent's transcript pad (a pad without a
    // parent may link into a bin).
    transcript_src_ = gst_pad_new("transcript", GST_PAD_SRC);
    if (GstPad* transcript = find_transcript_sink(agent_)) {
      gst_pad_link(transcript_src_, transcript);
      gst_object_unref(transcript);
    }
    bus_ = gst_element_get_bus(pipeline_);
  });
}

AgentCall::~AgentCall() {
  stop();
  gst_object_unref(src_);
  gst_object_unref(transcript_src_);
  gst_object_unref(bus_);
  gst_object_unref(pipeline_);
  for (auto* s : events_) gst_structure_free(s);
}

void AgentCall::on_outbound(GstElement*, const gchar* json, gpointer data) {
  auto* self = static_cast<AgentCall*>(data);
  const std::string text(json);
  OutboundMessage m;
  m.event = json_string_after(text, "event");
  if (m.event == "media") {
    const std::string b64 = json_string_after(text, "payload");
    std::vector<uint8_t> out(protocol::twilio::base64_decoded_max(b64.size()));
    if (auto n = protocol::twilio::decode_base64(b64, out)) out.resize(*n);
    m.payload = std::move(out);
  } else if (m.event == "mark") {
    m.mark = json_string_after(text, "name");
  }
  std::lock_guard lock(self->mutex_);
  self->outbound_.push_back(std::move(m));
}

void AgentCall::start() {
  loop_.run_sync([&] {
    gst_pad_set_active(src_, TRUE);
    gst_pad_set_active(transcript_src_, TRUE);
    gst_element_set_state(pipeline_, GST_STATE_PLAYING);
    gst_pad_push_event(src_, gst_event_new_stream_start("agent-test"));
    GstCaps* caps = gst_caps_from_string(caps_.c_str());
    gst_pad_push_event(src_, gst_event_new_caps(caps));
    gst_caps_unref(caps);
    GstSegment segment;
    gst_segment_init(&segment, GST_FORMAT_TIME);
    gst_pad_push_event(src_, gst_event_new_segment(&segment));
  });
}

void AgentCall::push(const std::vector<std::uint8_t>& bytes) {
  GstBuffer* b = gst_buffer_new_memdup(bytes.data(), bytes.size());
  GST_BUFFER_PTS(b) = gst_util_uint64_scale(pushed_bytes_, GST_SECOND, bytes_per_second_);
  GST_BUFFER_DURATION(b) = gst_util_uint64_scale(bytes.size(), GST_SECOND, bytes_per_second_);
  pushed_bytes_ += bytes.size();
  loop_.run_sync([&] { gst_pad_push(src_, b); });
}

void AgentCall::push_chunks(const std::vector<std::uint8_t>& bytes, std::size_t chunk) {
  for (std::size_t off = 0; off < bytes.size(); off += chunk)
    push(std::vector<std::uint8_t>(bytes.begin() + long(off), bytes.begin() + long(std::min(bytes.size(), off + chunk))));
}

void AgentCall::echo_mark(const std::string& name) {
  // As the call's ingest does on the host's push-mark: in-band, after the caller audio so far.
  loop_.run_sync([&] { gst_pad_push_event(src_, gstutil::make_mark_echo_event(name)); });
}

bool AgentCall::push_transcript(GstStructure* result) {
  const bool linked = gst_pad_is_linked(transcript_src_);
  loop_.run_sync([&] { gstutil::push_transcript(pipeline_, transcript_src_, result); });
  gst_structure_free(result);
  return linked;
}

void AgentCall::eos() {
  loop_.run_sync([&] { gst_pad_push_event(src_, gst_event_new_eos()); });
}

void AgentCall::stop() {
  if (stopped_) return;
  stopped_ = true;
  loop_.run_sync([&] {
    gst_element_set_state(pipeline_, GST_STATE_NULL);
    gst_pad_set_active(src_, FALSE);
    gst_pad_set_active(transcript_src_, FALSE);
  });
}

void AgentCall::pump() {
  while (GstMessage* m = gst_bus_pop(bus_)) {
    std::lock_guard lock(mutex_);
    switch (GST_MESSAGE_TYPE(m)) {
      case GST_MESSAGE_ELEMENT: {
        const GstStructure* s = gst_message_get_structure(m);
        if (s && gst_structure_has_name(s, "mediaflow-agent-event")) events_.push_back(gst_structure_copy(s));
        break;
      }
      case GST_MESSAGE_ERROR:
      case GST_MESSAGE_WARNING: {
        GError* e = nullptr;
        if (GST_MESSAGE_TYPE(m) == GST_MESSAGE_ERROR) {
          gst_message_parse_error(m, &e, nullptr);
          errors_.emplace_back(e->message);
        } else {
          gst_message_parse_warning(m, &e, nullptr);
          warnings_.emplace_back(e->message);
        }
        g_error_free(e);
        break;
      }
      case GST_MESSAGE_EOS: eos_ = true; break;
      default: break;
    }
    gst_message_unref(m);
  }
}

std::vector<OutboundMessage> AgentCall::outbound() const {
  std::lock_guard lock(mutex_);
  return outbound_;
}

std::vector<GstStructure*> AgentCall::agent_events(const char* kind) {
  pump();
  std::lock_guard lock(mutex_);
  std::vector<GstStructure*> out;
  for (auto* s : events_)
    if (!kind || !g_strcmp0(gst_structure_get_string(s, "kind"), kind)) out.push_back(gst_structure_copy(s));
  return out;
}

std::vector<std::string> AgentCall::errors() {
  pump();
  std::lock_guard lock(mutex_);
  return errors_;
}

std::vector<std::string> AgentCall::warnings() {
  pump();
  std::lock_guard lock(mutex_);
  return warnings_;
}

bool AgentCall::eos_seen() {
  pump();
  std::lock_guard lock(mutex_);
  return eos_;
}

bool AgentCall::wait(const std::function<bool()>& pred, int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    pump();
    if (pred()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace mediaflow::test
