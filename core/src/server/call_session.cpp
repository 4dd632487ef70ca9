#include "server/call_session.hpp"

#include "server/cluster_admission.hpp"
#include "server/transcript_location.hpp"
#include "server/loop_mailbox.hpp"
#include "server/worker.hpp"

#include <mediaflow/evidence/evidence_service.hpp>
#include <mediaflow/gstutil/structure_json.hpp>
#include <mediaflow/log.hpp>
#include <mediaflow/metrics.hpp>
#include <mediaflow/pipeline/build.hpp>
#include <mediaflow/pipeline/catalog.hpp>
#include <mediaflow/protocol/redact.hpp>
#include <mediaflow/protocol/twilio_envelope.hpp>
#include <mediaflow/server/host.hpp>

#include <libsoup/soup.h>

#include <cstring>
#include <utility>

namespace mediaflow::server {
namespace {

namespace tw = mediaflow::protocol::twilio;

// How long a finishing call waits for EOS to reach every sink before it is torn down anyway.
constexpr guint kEosTimeoutMs = 5000;

bool is_factory(GstElement* e, const char* name) {
  GstElementFactory* f = gst_element_get_factory(e);
  return f && std::strcmp(GST_OBJECT_NAME(f), name) == 0;
}

// twiliosrc's `track` is an enum (inbound|outbound); compare by its serialised nick.
bool emits_outbound_track(GstElement* e) {
  GParamSpec* ps = g_object_class_find_property(G_OBJECT_GET_CLASS(e), "track");
  if (!ps) return false;
  GValue v = G_VALUE_INIT;
  g_value_init(&v, ps->value_type);
  g_object_get_property(G_OBJECT(e), "track", &v);
  gchar* text = gst_value_serialize(&v);
  const bool outbound = text && std::strstr(text, "outbound");
  g_free(text);
  g_value_unset(&v);
  return outbound;
}

}  // namespace

struct StartInfo {
  const tw::StartEvent& start;
};

struct MediaInfo {
  const tw::MediaEvent& media;
};

// A call admitted locally whose cluster lease Redis has not answered yet: its start, and the
// frames that arrive meanwhile (a few: the wait is bounded by REDIS_TIMEOUT_MS).
struct PendingStart {
  struct Frame {
    GstBuffer* buffer;
    guint64 timestamp_ms;
    bool outbound;
    gint64 arrival_us;
  };
  static constexpr std::size_t kMaxFrames = 250;  // 5 s of one track: far above any timeout

  tw::StartEvent start;
  std::vector<Frame> frames;

  ~PendingStart() {
    for (auto& f : frames)
      if (f.buffer) gst_buffer_unref(f.buffer);
  }
};

// What the bus sync handler needs, without touching the session from a streaming thread.
struct BusRoute {
  std::weak_ptr<CallSession> session;
  LoopMailbox* mailbox;
};

namespace {

// Decodes a media payload straight into a new GstBuffer (one allocation per frame).
GstBuffer* decode_payload_to_buffer(std::string_view base64) {
  GstBuffer* buffer = gst_buffer_new_allocate(nullptr, tw::base64_decoded_max(base64.size()), nullptr);
  GstMapInfo map;
  gst_buffer_map(buffer, &map, GST_MAP_WRITE);
  auto n = tw::decode_base64(base64, std::span<std::uint8_t>(map.data, map.size));
  gst_buffer_unmap(buffer, &map);
  if (!n || *n == 0) {
    gst_buffer_unref(buffer);
    return nullptr;
  }
  gst_buffer_set_size(buffer, static_cast<gssize>(*n));
  return buffer;
}

}  // namespace

CallSession::CallSession(Worker& worker, GSocket* socket, std::string early_bytes)
    : worker_(worker),
      connection_(worker.epoll(), worker.epoll().read_buffer(), socket, std::move(early_bytes),
                  worker.host().config().max_message_bytes),
      inbound_budget_(gint64(worker.host().config().inbound_media_allowance_ms) * 1000),
      outbound_budget_(gint64(worker.host().config().inbound_media_allowance_ms) * 1000) {
  opened_us_ = last_inbound_us_ = last_pong_us_ = last_ping_us_ = g_get_monotonic_time();
  connection_.limit_kernel_send_buffer(worker.host().config().socket_send_buffer_bytes);
}

CallSession::~CallSession() {
  if (pipeline_) teardown_pipeline();
}

void CallSession::attach() {
  if (!connection_.start(this)) {
    finish(SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "client gone", "client_gone");
  }
}

void CallSession::await_start() {
  if (state_ != State::kOpen || started_ || awaiting_start_) return;
  awaiting_start_ = true;
  worker_.host().awaiting_start(+1);
}

void CallSession::stop_awaiting_start() {
  if (!awaiting_start_) return;
  awaiting_start_ = false;
  worker_.host().awaiting_start(-1);
}

bool CallSession::admit() {
  // The slot first, then no longer awaiting: the other order lets a drain see no call and no
  // awaiting connection for an instant and end the process under a call that is starting.
  const bool admitted = worker_.host().try_admit_call();
  stop_awaiting_start();
  if (!admitted) {
    // design.md: at capacity the upgrade is accepted, then closed 1013.
    log::warn("call_refused", {{"reason", "at capacity"}});
    metrics().calls_refused("host").inc();
    refuse(protocol::websocket::close_code::kTryAgainLater, "at capacity", "capacity");
    return false;
  }
  admitted_ = true;
  return true;
}

void CallSession::refuse(unsigned short code, const char* reason, const char* outcome) {
  refused_ = true;
  metrics().calls_total(outcome).inc();  // counted when refused, not when the socket is gone
  finish(code, reason, outcome);
}

void CallSession::on_ws_text(std::string_view text, gint64 arrival_us) {
  last_inbound_us_ = last_pong_us_ = arrival_us;
  if (state_ != State::kOpen) return;
  handle_text(text.data(), text.size(), arrival_us);
}

void CallSession::on_ws_binary(std::span<const std::uint8_t>, gint64 arrival_us) {
  last_inbound_us_ = last_pong_us_ = arrival_us;
  if (state_ != State::kOpen) return;
  metrics().messages_rejected("binary").inc();
  finish(SOUP_WEBSOCKET_CLOSE_UNSUPPORTED_DATA, "binary data not accepted", "binary");
}

void CallSession::on_ws_protocol_error(std::uint16_t code, const char* reason) {
  if (state_ != State::kOpen) return;
  if (code == SOUP_WEBSOCKET_CLOSE_TOO_BIG) {
    metrics().messages_rejected("too_large").inc();
    finish(SOUP_WEBSOCKET_CLOSE_TOO_BIG, "message too big", "too_large");
    return;
  }
  metrics().messages_rejected("protocol_error").inc();
  finish(code, reason, "protocol_error");
}

void CallSession::on_ws_pong() { last_pong_us_ = g_get_monotonic_time(); }

void CallSession::handle_text(const char* data, gsize size, gint64 arrival_us) {
  if (size == 4 && std::memcmp(data, "ping", 4) == 0) {
    connection_.send_text("pong");
    return;
  }
  const tw::InboundMessage& msg = worker_.envelope_parser().parse(std::string_view(data, size));
  switch (msg.kind) {
    case tw::EventKind::kMedia:
      push_media(MediaInfo{msg.media}, arrival_us);
      return;
    case tw::EventKind::kStart:
      if (started_) {
        metrics().messages_rejected("duplicate_start").inc();
        return;
      }
      handle_start(StartInfo{msg.start});
      return;
    case tw::EventKind::kMark: {
      // A mark belongs to the stream, not a track: post it once, from the inbound ingest (as
      // twiliosrc does offline), or a pipeline recording both tracks reports every mark twice.
      const std::string name(msg.mark);
      for (auto& in : ingests_) {
        if (!in.outbound_track) g_signal_emit_by_name(in.element, "push-mark", name.c_str());
      }
      return;
    }
    case tw::EventKind::kDtmf: {
      const std::string digit(msg.dtmf.digit);
      for (auto& in : ingests_) {
        if (!in.outbound_track) g_signal_emit_by_name(in.element, "push-dtmf", digit.c_str());
      }
      return;
    }
    case tw::EventKind::kStop:
      finish(SOUP_WEBSOCKET_CLOSE_NORMAL, "stop", "completed");
      return;
    case tw::EventKind::kConnected:
      return;
    case tw::EventKind::kUnknown:
      metrics().messages_rejected("unknown_event").inc();
      return;
    case tw::EventKind::kMalformed:
    default:
      metrics().messages_rejected("malformed_json").inc();
      return;
  }
}

void CallSession::push_media(const MediaInfo& info, gint64 arrival_us) {
  const tw::MediaEvent& media = info.media;
  if (!started_) {
    metrics().messages_rejected("media_before_start").inc();
    return;
  }
  GstBuffer* buffer = decode_payload_to_buffer(media.payload_base64);
  if (!buffer) {
    metrics().messages_rejected("bad_base64").inc();
    return;
  }
  const bool outbound = media.track == "outbound";
  // Twilio media is 8 kHz mu-law: one byte is 125 µs of audio.
  const gint64 audio_us = gint64(gst_buffer_get_size(buffer)) * 125;
  if (!(outbound ? outbound_budget_ : inbound_budget_).admit(audio_us, arrival_us)) {
    gst_buffer_unref(buffer);
    metrics().frames_dropped("faster_than_realtime").inc();
    return;
  }
  if (pending_start_) {  // waiting for the cluster's answer: kept, pushed once the pipeline runs
    if (pending_start_->frames.size() < PendingStart::kMaxFrames) {
      pending_start_->frames.push_back({buffer, media.timestamp_ms, outbound, arrival_us});
    } else {
      gst_buffer_unref(buffer);
      metrics().frames_dropped("admission_pending").inc();
    }
    return;
  }
  push_buffer(buffer, media.timestamp_ms, outbound, arrival_us);
}

void CallSession::push_buffer(GstBuffer* buffer, guint64 timestamp_ms, bool outbound, gint64 arrival_us) {
  GstFlowReturn ret = GST_FLOW_OK;
  bool pushed = false;
  for (auto& in : ingests_) {
    if (in.outbound_track != outbound) continue;
    g_signal_emit(in.element, push_media_signal_, 0, buffer, timestamp_ms, &ret);
    pushed = true;
  }
  gst_buffer_unref(buffer);
  if (!pushed) {
    metrics().frames_dropped("no_ingest_for_track").inc();
    return;
  }
  metrics().frames_in().inc();
  metrics().frame_latency().observe((g_get_monotonic_time() - arrival_us) / 1e6);
  if (ret != GST_FLOW_OK && ret != GST_FLOW_EOS) metrics().frames_dropped("pipeline_flow").inc();
}

void CallSession::handle_start(const StartInfo& info) {
  started_ = true;
  stream_sid_ = info.start.stream_sid;
  call_sid_ = info.start.call_sid;
  if (!admit()) return;
  ClusterAdmission* cluster = worker_.cluster();
  if (!cluster) {
    start_pipeline(info);
    return;
  }
  // MAX_CONCURRENT_CALLS held; now the cluster-wide and per-campaign limits (Redis).
  pending_start_ = std::make_unique<PendingStart>(PendingStart{info.start, {}});
  auto campaign = info.start.custom_parameters.find("campaign_id");
  lease_ = cluster->acquire(campaign == info.start.custom_parameters.end() ? std::string() : campaign->second,
                            [session = weak_from_this()](ClusterAdmission::Decision d) {
                              if (auto live = session.lock()) live->on_cluster_decision(int(d));
                            });
}

void CallSession::on_cluster_decision(int decision) {
  using D = ClusterAdmission::Decision;
  std::unique_ptr<PendingStart> pending = std::move(pending_start_);
  if (!pending || state_ != State::kOpen) return;  // ended meanwhile (its lease goes in maybe_done)
  const auto& cfg = worker_.host().config();
  const char* scope = nullptr;
  switch (D(decision)) {
    case D::kAdmitted: break;
    case D::kRefusedCluster: scope = "cluster"; break;
    case D::kRefusedCampaign: scope = "campaign"; break;
    case D::kUnavailable:
      // CONCURRENCY_ON_REDIS_ERROR: allow (the local limit still holds) or refuse.
      if (cfg.refuse_on_redis_error) scope = "cluster";
      break;
  }
  if (scope) {
    log::warn("call_refused", {{"reason", "at capacity"}, {"scope", scope}});
    metrics().calls_refused(scope).inc();
    admitted_ = false;  // the local slot taken at start goes back now
    worker_.host().call_ended();
    refuse(protocol::websocket::close_code::kTryAgainLater, "at capacity", "capacity");
    return;
  }
  start_pipeline(StartInfo{pending->start});
  if (!pipeline_ || state_ != State::kOpen) return;
  for (auto& f : pending->frames) push_buffer(std::exchange(f.buffer, nullptr), f.timestamp_ms, f.outbound, f.arrival_us);
}

void CallSession::start_pipeline(const StartInfo& info) {
  const gint64 start_us = g_get_monotonic_time();
  const tw::StartEvent& start = info.start;
  const auto& cfg = worker_.host().config();
  stream_sid_ = start.stream_sid;
  call_sid_ = start.call_sid;
  auto it = start.custom_parameters.find("pipeline");
  pipeline_name_ = it != start.custom_parameters.end() && !it->second.empty() ? it->second
                                                                              : cfg.default_pipeline;
  auto spec = worker_.host().catalog().find(pipeline_name_);
  if (!spec) {
    log::warn("call_refused", {{"call", log::call_id(call_sid_)}, {"reason", "unknown pipeline"},
                               {"pipeline", pipeline_name_}});
    finish(SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, "unknown pipeline", "unknown_pipeline");
    return;
  }
  pipeline::Variables vars;
  vars["call.sid"] = start.call_sid;
  vars["call.stream_sid"] = start.stream_sid;
  vars["call.account_sid"] = start.account_sid;
  gchar* uuid = g_uuid_string_random();
  vars["recording.id"] = uuid;
  g_free(uuid);
  for (const auto& [k, v] : start.custom_parameters) vars["param." + k] = v;
  if (!vars.count("param.organization_id")) vars["param.organization_id"] = "unassigned";

  pipeline::BuildResult built = pipeline::build_pipeline(*spec, vars);
  pipeline_ = built.pipeline;
  if (!pipeline_) {
    metrics().pipeline_errors().inc();
    log::error("pipeline_build_failed", {{"call", log::call_id(call_sid_)}, {"pipeline", pipeline_name_},
                                         {"error", built.error}});
    finish(SOUP_WEBSOCKET_CLOSE_SERVER_ERROR, "pipeline failure", "pipeline_error");
    return;
  }
  // Find the ingest sources and egress sinks the host feeds and drains.
  GstIterator* it_el = gst_bin_iterate_recurse(GST_BIN(pipeline_));
  GValue item = G_VALUE_INIT;
  while (gst_iterator_next(it_el, &item) == GST_ITERATOR_OK) {
    auto* e = GST_ELEMENT(g_value_get_object(&item));
    if (is_factory(e, "twiliosrc")) {
      ingests_.push_back({e, emits_outbound_track(e)});
    } else if (is_factory(e, "twiliosink")) {
      g_object_set(e, "stream-sid", stream_sid_.c_str(), nullptr);
      g_signal_connect(e, "outbound-message", G_CALLBACK(on_outbound), this);
    }
    g_value_reset(&item);
  }
  g_value_unset(&item);
  gst_iterator_free(it_el);
  if (ingests_.empty()) {
    metrics().pipeline_errors().inc();
    log::error("pipeline_build_failed", {{"call", log::call_id(call_sid_)}, {"pipeline", pipeline_name_},
                                         {"error", "pipeline has no twiliosrc to feed"}});
    finish(SOUP_WEBSOCKET_CLOSE_SERVER_ERROR, "pipeline failure", "pipeline_error");
    return;
  }
  transcript_path_ = transcript_location(pipeline_, cfg.recordings_dir,
                                         {vars["param.organization_id"], start.call_sid,
                                          start.stream_sid, vars["recording.id"]})
                         .string();
  push_media_signal_ = g_signal_lookup("push-media", G_OBJECT_TYPE(ingests_[0].element));
  end_of_stream_signal_ = g_signal_lookup("end-of-stream", G_OBJECT_TYPE(ingests_[0].element));

  bus_ = gst_element_get_bus(pipeline_);
  gst_bus_set_sync_handler(bus_, on_bus_sync, new BusRoute{weak_from_this(), &worker_.mailbox()},
                           [](gpointer d) { delete static_cast<BusRoute*>(d); });
  if (gst_element_set_state(pipeline_, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    metrics().pipeline_errors().inc();
    log::error("pipeline_start_failed", {{"call", log::call_id(call_sid_)}, {"pipeline", pipeline_name_}});
    finish(SOUP_WEBSOCKET_CLOSE_SERVER_ERROR, "pipeline failure", "pipeline_error");
    return;
  }
  metrics().pipeline_start().observe((g_get_monotonic_time() - start_us) / 1e6);
  log::info("call_started", {{"call", log::call_id(call_sid_)}, {"pipeline", pipeline_name_},
                             {"worker", worker_.index()}});
  evidence_call_ = worker_.host().evidence().call_started(
      {call_sid_, stream_sid_, start.account_sid, vars["param.organization_id"], pipeline_name_, transcript_path_});
}

void CallSession::on_outbound(GstElement*, const gchar* json, gpointer self) {
  auto* s = static_cast<CallSession*>(self);
  if (g_main_context_is_owner(s->worker_.context())) {
    s->send_outbound(json);
    return;
  }
  // Emitted from a streaming thread (an agent's): hand it to the call's loop.
  s->worker_.mailbox().post([session = s->weak_from_this(), text = std::string(json)] {
    if (auto live = session.lock()) live->send_outbound(text.c_str());
  });
}

void CallSession::send_outbound(const char* json) {
  if (!connection_.is_open()) return;
  const bool is_media = std::strncmp(json, "{\"event\":\"media\"", 16) == 0;
  const std::size_t len = std::strlen(json);
  // Backpressure: what the kernel has not taken waits in the connection's queue; beyond the
  // limit, audio is dropped (marks and clears always go).
  if (is_media && connection_.backlog_bytes() + len > worker_.host().config().max_outbound_queue_bytes) {
    metrics().frames_dropped("backpressure").inc();
    return;
  }
  connection_.send_text(std::string_view(json, len));
  if (is_media) metrics().frames_out().inc();
}

namespace {

void remove_source(GMainContext* ctx, guint& id) {
  if (!id) return;
  if (GSource* s = g_main_context_find_source_by_id(ctx, id)) g_source_destroy(s);
  id = 0;
}

const char* const kCallEvents[] = {"mediaflow-transcript", "mediaflow-speech-started",
                                   "mediaflow-utterance-end", "mediaflow-agent-event",
                                   "twilio-dtmf", "twilio-mark"};

}  // namespace

guint CallSession::schedule(guint ms, gint priority, gboolean (CallSession::*fn)()) {
  // The source owns a reference: the session outlives every callback it scheduled.
  struct Scheduled {
    std::shared_ptr<CallSession> self;
    gboolean (CallSession::*fn)();
  };
  GSource* src = ms ? g_timeout_source_new(ms) : g_idle_source_new();
  g_source_set_priority(src, priority);
  g_source_set_callback(
      src,
      [](gpointer d) -> gboolean {
        auto* s = static_cast<Scheduled*>(d);
        return ((*s->self).*(s->fn))();
      },
      new Scheduled{shared_from_this(), fn}, [](gpointer d) { delete static_cast<Scheduled*>(d); });
  guint id = g_source_attach(src, worker_.context());
  g_source_unref(src);
  return id;
}

GstBusSyncReply CallSession::on_bus_sync(GstBus* bus, GstMessage* msg, gpointer data) {
  // Elements watching the bus with sync-message handlers (gstutil::watch_element_messages)
  // hear every message as before: a sync handler that drops would otherwise silence them.
  gst_bus_sync_signal_handler(bus, msg, nullptr);
  switch (GST_MESSAGE_TYPE(msg)) {
    case GST_MESSAGE_ERROR:
    case GST_MESSAGE_WARNING:
    case GST_MESSAGE_EOS:
    case GST_MESSAGE_ELEMENT:
      break;
    default:
      // State changes, stream-start, latency…: nobody on the loop needs them. A sync handler
      // that returns GST_BUS_DROP owns the message and must unref it: without this every
      // call leaked its messages, and through them its whole pipeline and the bus's fds.
      gst_message_unref(msg);
      return GST_BUS_DROP;
  }
  auto* route = static_cast<BusRoute*>(data);
  // Never lock the session here: the last reference must not be dropped on a streaming thread.
  route->mailbox->post([session = route->session, m = gst_message_ref(msg)] {
    if (auto live = session.lock()) live->on_bus(m);
    gst_message_unref(m);
  });
  gst_message_unref(msg);  // dropped: ours to release (the mailbox holds its own reference)
  return GST_BUS_DROP;
}

void CallSession::on_bus(GstMessage* msg) {
  CallSession* s = this;
  switch (GST_MESSAGE_TYPE(msg)) {
    case GST_MESSAGE_ERROR: {
      GError* err = nullptr;
      gst_message_parse_error(msg, &err, nullptr);
      metrics().pipeline_errors().inc();
      log::error("pipeline_error", {{"call", log::call_id(s->call_sid_)}, {"pipeline", s->pipeline_name_},
                                    {"element", GST_OBJECT_NAME(msg->src)},
                                    {"error", err ? err->message : "?"}});
      g_clear_error(&err);
      if (s->state_ == State::kOpen) {
        s->finish(SOUP_WEBSOCKET_CLOSE_SERVER_ERROR, "pipeline failure", "pipeline_error");
      } else if (s->state_ == State::kFinishing) {
        // A failing pipeline may never deliver EOS: stop waiting for it.
        remove_source(s->worker_.context(), s->eos_timeout_);
        s->close_socket();
      }
      break;
    }
    case GST_MESSAGE_WARNING: {
      GError* err = nullptr;
      gst_message_parse_warning(msg, &err, nullptr);
      log::warn("pipeline_warning", {{"call", log::call_id(s->call_sid_)}, {"element", GST_OBJECT_NAME(msg->src)},
                                     {"warning", err ? err->message : "?"}});
      g_clear_error(&err);
      break;
    }
    case GST_MESSAGE_EOS:
      if (s->state_ == State::kFinishing) {
        remove_source(s->worker_.context(), s->eos_timeout_);
        s->close_socket();
      }
      break;
    case GST_MESSAGE_ELEMENT: {
      const GstStructure* st = gst_message_get_structure(msg);
      const char* name = gst_structure_get_name(st);
      if (!std::strcmp(name, "recording-complete")) {
        metrics().recordings("complete").inc();
        log::info("recording_complete", {{"call", log::call_id(s->call_sid_)}});
        s->worker_.host().evidence().recording_complete(s->evidence_call_, st);
      } else if (!std::strcmp(name, "recording-failed")) {
        metrics().recordings("failed").inc();
        log::warn("recording_failed", {{"call", log::call_id(s->call_sid_)}});
      } else if (!std::strcmp(name, "mediaflow-hangup")) {
        // An element (an agent that said goodbye) asks to end the call normally.
        log::info("call_hangup", {{"call", log::call_id(s->call_sid_)}, {"element", GST_OBJECT_NAME(msg->src)}});
        s->finish(SOUP_WEBSOCKET_CLOSE_NORMAL, "hangup", "hangup");
      } else if (!std::strcmp(name, "mediaflow-vendor-reconnect")) {
        const char* vendor = gst_structure_get_string(st, "vendor");
        metrics().vendor_reconnects(vendor ? vendor : "unknown").inc();
      } else {
        for (const char* ev : kCallEvents) {
          if (!std::strcmp(name, ev)) {
            s->worker_.host().write_call_event(s->transcript_path_, gstutil::structure_to_json(st));
            s->worker_.host().evidence().call_event(s->evidence_call_, st);
            break;
          }
        }
      }
      break;
    }
    default:
      break;
  }
}

void CallSession::finish(unsigned short code, const char* reason, const char* outcome) {
  if (state_ != State::kOpen) return;
  state_ = State::kFinishing;
  close_code_ = code;
  close_reason_ = reason;
  outcome_ = outcome;
  if (pipeline_ && !ingests_.empty()) {
    for (auto& in : ingests_) g_signal_emit(in.element, end_of_stream_signal_, 0, nullptr);
    eos_timeout_ = schedule(kEosTimeoutMs, G_PRIORITY_DEFAULT, &CallSession::on_eos_timeout);
    return;
  }
  close_socket();
}

gboolean CallSession::on_eos_timeout() {
  eos_timeout_ = 0;
  log::warn("eos_timeout", {{"call", log::call_id(call_sid_)}, {"pipeline", pipeline_name_}});
  close_socket();
  return G_SOURCE_REMOVE;
}

void CallSession::close_socket() {
  if (state_ == State::kClosing || state_ == State::kDone) return;
  state_ = State::kClosing;
  if (connection_.is_closed()) {
    teardown_pipeline();
    maybe_done();
    return;
  }
  // Low priority: libsoup's output source (default priority) writes the frames queued so far
  // first, so outbound audio produced before the close reaches the caller.
  schedule(0, G_PRIORITY_LOW, &CallSession::on_close_when_flushed);
}

gboolean CallSession::on_close_when_flushed() {
  teardown_pipeline();
  // The close frame leaves after every outbound frame queued before it; the socket closes when
  // the caller answers it (or at the connection's deadline) → on_ws_closed().
  connection_.close(close_code_, close_reason_);
  maybe_done();
  return G_SOURCE_REMOVE;
}

void CallSession::teardown_pipeline() {
  if (!pipeline_) return;
  remove_source(worker_.context(), eos_timeout_);
  // Never called from inside a push (we are in an idle/timeout/mailbox callback of the loop).
  gst_element_set_state(pipeline_, GST_STATE_NULL);
  if (bus_) {  // no streaming thread is left to post: the handler can go
    gst_bus_set_sync_handler(bus_, nullptr, nullptr, nullptr);
    gst_object_unref(bus_);
    bus_ = nullptr;
  }
  gst_object_unref(pipeline_);
  pipeline_ = nullptr;
  ingests_.clear();
}

void CallSession::on_ws_closed() {
  if (state_ == State::kOpen) {
    finish(SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "client gone", "client_gone");
  } else {
    maybe_done();
  }
}

void CallSession::maybe_done() {
  if (state_ != State::kClosing || pipeline_ || !connection_.is_closed()) return;
  state_ = State::kDone;
  worker_.host().close_call_events(transcript_path_);
  worker_.host().evidence().call_ended(evidence_call_, outcome_, close_code_);
  if (admitted_) {
    metrics().calls_total(outcome_.c_str()).inc();
    log::info("call_ended", {{"call", log::call_id(call_sid_)}, {"outcome", outcome_},
                             {"code", close_code_}});
  } else if (!refused_) {
    // Never became a call (no `start` in time, gone before it, refused while draining).
    metrics().connections_without_start(outcome_).inc();
  }
  stop_awaiting_start();
  if (!lease_.empty()) {
    if (ClusterAdmission* cluster = worker_.cluster()) cluster->release(lease_);
    lease_.clear();
  }
  worker_.session_finished(this);
}

void CallSession::tick(gint64 now_us) {
  connection_.tick(now_us);
  if (state_ != State::kOpen) return;
  const auto& cfg = worker_.host().config();
  if (awaiting_start_ && cfg.start_timeout_seconds &&
      now_us - opened_us_ > gint64(cfg.start_timeout_seconds) * G_USEC_PER_SEC) {
    finish(SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, "no start", "start_timeout");
    return;
  }
  // The tick is a once-a-second timeout that may fire a little early or late: half a tick of
  // slack keeps a 1 s interval from turning into 2 s.
  constexpr gint64 kTickSlackUs = G_USEC_PER_SEC / 2;
  if (cfg.keepalive_interval_seconds &&
      now_us - last_ping_us_ + kTickSlackUs >= gint64(cfg.keepalive_interval_seconds) * G_USEC_PER_SEC) {
    connection_.send_ping();
    last_ping_us_ = now_us;
  }
  if (cfg.idle_timeout_seconds && now_us - last_inbound_us_ > gint64(cfg.idle_timeout_seconds) * G_USEC_PER_SEC) {
    finish(SOUP_WEBSOCKET_CLOSE_NORMAL, "idle", "idle");
  } else if (cfg.keepalive_interval_seconds && cfg.pong_timeout_seconds &&
             now_us - last_pong_us_ > gint64(cfg.pong_timeout_seconds) * G_USEC_PER_SEC) {
    finish(SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "keepalive timeout", "keepalive_timeout");
  }
}

}  // namespace mediaflow::server
