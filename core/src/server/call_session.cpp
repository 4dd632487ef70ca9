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
#include <mediaflow/transport/egress_sink.hpp>
#include <mediaflow/transport/ingest_src.hpp>
#include <mediaflow/server/host.hpp>

#include <libsoup/soup.h>

#include <cstring>
#include <utility>

namespace mediaflow::server {
namespace {

using transport::Inbound;

// How long a finishing call waits for EOS to reach every sink before it is torn down anyway.
constexpr guint kEosTimeoutMs = 5000;

// Channel `channel` of interleaved `frame_bytes`-sized samples: a track of a multi-track frame.
GstBuffer* extract_channel(GstBuffer* interleaved, int channels, int channel, int sample_bytes) {
  GstMapInfo in;
  gst_buffer_map(interleaved, &in, GST_MAP_READ);
  const gsize frames = in.size / gsize(channels * sample_bytes);
  GstBuffer* out = gst_buffer_new_allocate(nullptr, frames * sample_bytes, nullptr);
  GstMapInfo o;
  gst_buffer_map(out, &o, GST_MAP_WRITE);
  for (gsize i = 0; i < frames; ++i)
    std::memcpy(o.data + i * sample_bytes, in.data + (i * channels + channel) * sample_bytes, sample_bytes);
  gst_buffer_unmap(out, &o);
  gst_buffer_unmap(interleaved, &in);
  return out;
}

}  // namespace

// A call admitted locally whose cluster lease Redis has not answered yet: the frames that
// arrive meanwhile (a few: the wait is bounded by REDIS_TIMEOUT_MS).
struct PendingStart {
  struct Frame {
    GstBuffer* buffer;
    std::optional<guint64> timestamp_ms;
    std::string track;
    gint64 arrival_us;
  };
  static constexpr std::size_t kMaxFrames = 250;  // 5 s of one track: far above any timeout

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

// The egress elements' way out: straight onto the socket from the call's loop, through the
// loop's mailbox from any other thread (an agent's).
class CallSession::OutboundSender final : public transport::Sender {
 public:
  explicit OutboundSender(CallSession& session) : session_(session), weak_(session.weak_from_this()) {}
  void send(const transport::OutboundMessage& m) override {
    if (g_main_context_is_owner(session_.worker_.context())) {
      session_.send_outbound(m);
      return;
    }
    session_.worker_.mailbox().post([weak = weak_, bytes = std::string(m.bytes), binary = m.binary, audio = m.audio] {
      if (auto live = weak.lock()) live->send_outbound({bytes, binary, audio});
    });
  }

 private:
  CallSession& session_;  // outlives the pipeline: teardown stops every streaming thread first
  std::weak_ptr<CallSession> weak_;
};

CallSession::CallSession(Worker& worker, GSocket* socket, std::string early_bytes, const ServedTransport& transport)
    : worker_(worker),
      transport_(transport),
      codec_(transport.descriptor.create_codec()),
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
  handle(codec_->read_text(text), arrival_us);
}

void CallSession::on_ws_binary(std::span<const std::uint8_t> bytes, gint64 arrival_us) {
  last_inbound_us_ = last_pong_us_ = arrival_us;
  if (state_ != State::kOpen) return;
  handle(codec_->read_binary(bytes), arrival_us);
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

void CallSession::handle(const Inbound& in, gint64 arrival_us) {
  if (!in.reply.empty()) connection_.send_text(in.reply);
  switch (in.kind) {
    case Inbound::Kind::kAudio:
      push_media(in, arrival_us);
      return;
    case Inbound::Kind::kStart:
      handle_start();
      return;
    case Inbound::Kind::kMark:
    case Inbound::Kind::kDtmf: {
      // Marks and keys belong to the caller's side: posted once, by the inbound ingest, or a
      // pipeline with both tracks reports every one twice.
      const std::string text(in.text);
      for (auto& ingest : ingests_) {
        if (ingest.track != MEDIAFLOW_TRACK_INBOUND) continue;
        if (in.kind == Inbound::Kind::kMark) transport::ingest_push_mark(ingest.element, text.c_str());
        else transport::ingest_push_dtmf(ingest.element, text.c_str());
      }
      return;
    }
    case Inbound::Kind::kStop:
      finish(SOUP_WEBSOCKET_CLOSE_NORMAL, "stop", "completed");
      return;
    case Inbound::Kind::kReject:
      if (in.rejected) metrics().messages_rejected(in.rejected).inc();
      finish(in.close_code, in.close_reason, in.rejected ? in.rejected : "protocol_error");
      return;
    case Inbound::Kind::kNothing:
      if (in.rejected) metrics().messages_rejected(in.rejected).inc();
      return;
  }
}

void CallSession::push_media(const Inbound& in, gint64 arrival_us) {
  if (!started_) {
    metrics().messages_rejected("media_before_start").inc();
    return;
  }
  GstBuffer* buffer = gst_buffer_new_allocate(nullptr, codec_->audio_bytes_max(in), nullptr);
  GstMapInfo map;
  gst_buffer_map(buffer, &map, GST_MAP_WRITE);
  const std::optional<std::size_t> n = codec_->decode_audio(in, {map.data, map.size});
  gst_buffer_unmap(buffer, &map);
  if (!n || *n == 0) {
    gst_buffer_unref(buffer);
    metrics().messages_rejected("bad_base64").inc();
    return;
  }
  gst_buffer_set_size(buffer, static_cast<gssize>(*n));
  const bool outbound = in.track == "outbound";
  const transport::AudioFormat& wire = codec_->start().format;
  if (!(outbound ? outbound_budget_ : inbound_budget_).admit(wire.duration_us(*n), arrival_us)) {
    gst_buffer_unref(buffer);
    metrics().frames_dropped("faster_than_realtime").inc();
    return;
  }
  if (pending_start_) {  // waiting for the cluster's answer: kept, pushed once the pipeline runs
    if (pending_start_->frames.size() < PendingStart::kMaxFrames) {
      pending_start_->frames.push_back({buffer, in.timestamp_ms, std::string(in.track), arrival_us});
    } else {
      gst_buffer_unref(buffer);
      metrics().frames_dropped("admission_pending").inc();
    }
    return;
  }
  push_buffer(buffer, in.timestamp_ms, in.track, arrival_us);
}

void CallSession::push_buffer(GstBuffer* buffer, std::optional<guint64> timestamp_ms, std::string_view track,
                              gint64 arrival_us) {
  GstFlowReturn ret = GST_FLOW_OK;
  bool pushed = false;
  const transport::AudioFormat& wire = codec_->start().format;
  for (auto& ingest : ingests_) {
    const int channel = ingest.track == MEDIAFLOW_TRACK_OUTBOUND ? 1 : 0;
    if (track.empty() && wire.channels > 1) {  // interleaved tracks: each ingest takes its channel
      if (channel >= wire.channels) continue;
      GstBuffer* mine = extract_channel(buffer, wire.channels, channel, wire.bytes_per_sample());
      ret = transport::ingest_push_audio(ingest.element, mine, timestamp_ms);
      gst_buffer_unref(mine);
    } else {
      if ((track.empty() ? channel != 0 : (track == "outbound") != (channel == 1))) continue;
      ret = transport::ingest_push_audio(ingest.element, buffer, timestamp_ms);
    }
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

void CallSession::handle_start() {
  const transport::CallStart& start = codec_->start();
  started_ = true;
  stream_sid_ = start.stream_sid;
  call_sid_ = start.call_sid;
  if (!admit()) return;
  ClusterAdmission* cluster = worker_.cluster();
  if (!cluster) {
    start_pipeline();
    return;
  }
  // MAX_CONCURRENT_CALLS held; now the cluster-wide and per-campaign limits (Redis).
  pending_start_ = std::make_unique<PendingStart>();
  auto campaign = start.params.find("campaign_id");
  lease_ = cluster->acquire(campaign == start.params.end() ? std::string() : campaign->second,
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
  start_pipeline();
  if (!pipeline_ || state_ != State::kOpen) return;
  for (auto& f : pending->frames) push_buffer(std::exchange(f.buffer, nullptr), f.timestamp_ms, f.track, f.arrival_us);
}

void CallSession::start_pipeline() {
  const gint64 start_us = g_get_monotonic_time();
  const transport::CallStart& start = codec_->start();
  const auto& cfg = worker_.host().config();
  auto it = start.params.find("pipeline");
  pipeline_name_ = it != start.params.end() && !it->second.empty() ? it->second : cfg.default_pipeline;
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
  vars["call.transport"] = transport_.descriptor.name;
  gchar* uuid = g_uuid_string_random();
  vars["recording.id"] = uuid;
  g_free(uuid);
  for (const auto& [k, v] : start.params) vars["param." + k] = v;
  if (!vars.count("param.organization_id")) vars["param.organization_id"] = "unassigned";

  const pipeline::CallPlane plane{transport_.descriptor.ingest_factory, transport_.descriptor.egress_factory,
                                  start.format.mono()};
  pipeline::BuildResult built = pipeline::build_pipeline(*spec, vars, plane);
  pipeline_ = built.pipeline;
  if (!pipeline_) {
    pipeline_failed("pipeline_build_failed", built.error);
    return;
  }
  // The call's ends: every ingest the host feeds and every egress that answers the caller.
  std::string wrong_transport;
  GstIterator* it_el = gst_bin_iterate_recurse(GST_BIN(pipeline_));
  GValue item = G_VALUE_INIT;
  while (gst_iterator_next(it_el, &item) == GST_ITERATOR_OK) {
    auto* e = GST_ELEMENT(g_value_get_object(&item));
    GstElementFactory* f = gst_element_get_factory(e);
    const char* factory = f ? GST_OBJECT_NAME(f) : "";
    if (MEDIAFLOW_IS_INGEST_SRC(e)) {
      if (std::strcmp(factory, transport_.descriptor.ingest_factory) != 0) wrong_transport = factory;
      ingests_.push_back({MEDIAFLOW_INGEST_SRC(e), transport::ingest_track(MEDIAFLOW_INGEST_SRC(e))});
    } else if (MEDIAFLOW_IS_EGRESS_SINK(e)) {
      if (std::strcmp(factory, transport_.descriptor.egress_factory) != 0) wrong_transport = factory;
      transport::egress_set_call(MEDIAFLOW_EGRESS_SINK(e), start);
      transport::egress_set_sender(MEDIAFLOW_EGRESS_SINK(e), std::make_shared<OutboundSender>(*this));
    }
    g_value_reset(&item);
  }
  g_value_unset(&item);
  gst_iterator_free(it_el);
  if (!wrong_transport.empty()) {
    pipeline_failed("pipeline_build_failed", "the pipeline names " + wrong_transport + ", which is not the " +
                                                 transport_.descriptor.name + " transport's: write @ingest / @egress");
    return;
  }
  if (ingests_.empty()) {
    pipeline_failed("pipeline_build_failed", "the pipeline has no @ingest to feed");
    return;
  }
  transcript_path_ = transcript_location(pipeline_, cfg.recordings_dir,
                                         {vars["param.organization_id"], start.call_sid,
                                          start.stream_sid, vars["recording.id"]})
                         .string();
  bus_ = gst_element_get_bus(pipeline_);
  gst_bus_set_sync_handler(bus_, on_bus_sync, new BusRoute{weak_from_this(), &worker_.mailbox()},
                           [](gpointer d) { delete static_cast<BusRoute*>(d); });
  if (gst_element_set_state(pipeline_, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    pipeline_failed("pipeline_start_failed", "");
    return;
  }
  metrics().pipeline_start().observe((g_get_monotonic_time() - start_us) / 1e6);
  log::info("call_started", {{"call", log::call_id(call_sid_)}, {"pipeline", pipeline_name_},
                             {"transport", transport_.descriptor.name}, {"worker", worker_.index()}});
  evidence_call_ = worker_.host().evidence().call_started(
      {call_sid_, stream_sid_, start.account_sid, vars["param.organization_id"], pipeline_name_, transcript_path_});
}

void CallSession::pipeline_failed(const char* event, const std::string& error) {
  metrics().pipeline_errors().inc();
  if (error.empty()) log::error(event, {{"call", log::call_id(call_sid_)}, {"pipeline", pipeline_name_}});
  else log::error(event, {{"call", log::call_id(call_sid_)}, {"pipeline", pipeline_name_}, {"error", error}});
  finish(SOUP_WEBSOCKET_CLOSE_SERVER_ERROR, "pipeline failure", "pipeline_error");
}

void CallSession::send_outbound(const transport::OutboundMessage& m) {
  if (!connection_.is_open()) return;
  // Backpressure: what the kernel has not taken waits in the connection's queue; beyond the
  // limit, audio is dropped (marks and clears always go).
  if (m.audio && connection_.backlog_bytes() + m.bytes.size() > worker_.host().config().max_outbound_queue_bytes) {
    metrics().frames_dropped("backpressure").inc();
    return;
  }
  if (!connection_.corked()) {  // the first send of this wake-up: the rest join it in one sendmsg
    connection_.cork();
    worker_.uncork_before_poll(weak_from_this());
  }
  if (m.binary) connection_.send_binary({reinterpret_cast<const std::uint8_t*>(m.bytes.data()), m.bytes.size()});
  else connection_.send_text(m.bytes);
  if (m.audio) metrics().frames_out().inc();
}

namespace {

void remove_source(GMainContext* ctx, guint& id) {
  if (!id) return;
  if (GSource* s = g_main_context_find_source_by_id(ctx, id)) g_source_destroy(s);
  id = 0;
}

// Besides these, every message an ingest posts (the transport's marks and keys).
const char* const kCallEvents[] = {"mediaflow-transcript", "mediaflow-speech-started",
                                   "mediaflow-utterance-end", "mediaflow-agent-event"};

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

GstBusSyncReply CallSession::on_bus_sync(GstBus*, GstMessage* msg, gpointer data) {
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
        bool call_event = MEDIAFLOW_IS_INGEST_SRC(msg->src);
        for (const char* ev : kCallEvents) call_event = call_event || !std::strcmp(name, ev);
        if (call_event) {
          s->worker_.host().write_call_event(s->transcript_path_, gstutil::structure_to_json(st));
          s->worker_.host().evidence().call_event(s->evidence_call_, st);
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
    for (auto& in : ingests_) transport::ingest_end_of_stream(in.element);
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
  if (state_ == State::kOpen && codec_->closing_ends_call(connection_.close_code())) {
    finish(SOUP_WEBSOCKET_CLOSE_NORMAL, "closed by the caller", "completed");
  } else if (state_ == State::kOpen) {
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
