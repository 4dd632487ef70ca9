#include "server/worker.hpp"

#include "server/accept_loop.hpp"
#include "server/call_session.hpp"
#include "server/cluster_admission.hpp"
#include "server/http_routes.hpp"
#include "server/pending_connections.hpp"

#include <mediaflow/log.hpp>
#include <mediaflow/metrics.hpp>
#include <mediaflow/net/websocket_server_handshake.hpp>
#include <mediaflow/server/host.hpp>

#include <unistd.h>

#include <algorithm>
#include <future>

namespace mediaflow::server {
namespace {

struct UncorkSource {
  GSource base;
  Worker* worker;
};

}  // namespace

Worker::Worker(Host& host, unsigned index) : host_(host), index_(index) {
  context_ = g_main_context_new();
  loop_ = g_main_loop_new(context_, FALSE);
  epoll_ = EpollDispatcher::for_context(context_);
  mailbox_ = std::make_unique<LoopMailbox>(context_);
}

Worker::~Worker() {
  stop();
  mailbox_.reset();
  epoll_.reset();
  g_main_loop_unref(loop_);
  g_main_context_unref(context_);
}

bool Worker::start(GSocket* listen_socket, std::string* error) {
  if (!epoll_) {
    g_object_unref(listen_socket);
    *error = "cannot create the worker's epoll set";
    return false;
  }
  std::promise<std::string> ready;
  auto result = ready.get_future();
  thread_ = std::thread([this, listen_socket, &ready] {
    g_main_context_push_thread_default(context_);
    if (!host_.config().redis_url.empty()) cluster_ = std::make_unique<ClusterAdmission>(host_.config(), context_);
    listen_socket_ = listen_socket;
    pending_ = std::make_unique<PendingConnections>(*epoll_, host_, *this);
    accept_loop_ = std::make_unique<AcceptLoop>(*epoll_, g_socket_get_fd(listen_socket),
                                                [this](int fd) { pending_->adopt(fd); });
    if (!accept_loop_->start()) {
      ready.set_value("cannot poll the listening socket");
      accept_loop_.reset();
      pending_.reset();
      g_clear_object(&listen_socket_);
      cluster_.reset();
      g_main_context_pop_thread_default(context_);
      return;
    }
    // Prepared before any other source (highest priority: GLib stops preparing lower ones once
    // one is ready), i.e. after every dispatch of the previous iteration, before the poll.
    static GSourceFuncs uncork_funcs = {uncork_prepare, [](GSource*) -> gboolean { return FALSE; },
                                        [](GSource*, GSourceFunc, gpointer) -> gboolean { return G_SOURCE_CONTINUE; },
                                        nullptr, nullptr, nullptr};
    uncork_source_ = g_source_new(&uncork_funcs, sizeof(UncorkSource));
    reinterpret_cast<UncorkSource*>(uncork_source_)->worker = this;
    g_source_set_priority(uncork_source_, G_PRIORITY_HIGH - 1);
    g_source_attach(uncork_source_, context_);
    GSource* tick = g_timeout_source_new_seconds(1);
    g_source_set_callback(tick, on_housekeeping, this, nullptr);
    g_source_attach(tick, context_);
    g_source_unref(tick);
    ready.set_value("");
    g_main_loop_run(loop_);
    g_source_destroy(tick);
    accept_loop_.reset();
    pending_.reset();
    g_clear_object(&listen_socket_);
    sessions_.clear();
    cluster_.reset();
    // Let pending closes and callbacks run out before the context goes away.
    while (g_main_context_iteration(context_, FALSE)) {
    }
    uncork_all();
    g_source_destroy(uncork_source_);
    g_source_unref(uncork_source_);
    uncork_source_ = nullptr;
    g_main_context_pop_thread_default(context_);
  });
  std::string err = result.get();
  if (!err.empty()) {
    thread_.join();
    *error = err;
    return false;
  }
  return true;
}

HttpAnswer Worker::answer(const protocol::http::Request& request) {
  const ServedTransport* transport = transport_for_path(host_.transports(), request.path);
  if (!transport) return {handle_http_request(host_, request)};
  HttpAnswer a;
  a.transport = transport;
  // Whether the host was draining when the upgrade request arrived: a caller whose request
  // came before SIGTERM has a live call even if the upgrade completes after it.
  a.requested_while_draining = stopping_ || host_.refusing_new_calls();
  if (auto refusal = check_websocket_request(host_, *transport, request)) {  // refused before the upgrade (401…)
    a.response = std::move(*refusal);
    return a;
  }
  const char* subprotocol = transport->descriptor.subprotocol;
  if (subprotocol && !request.header_has_token("Sec-WebSocket-Protocol", subprotocol)) {
    log::info("upgrade_refused", {{"status", 400}, {"reason", "subprotocol not offered"},
                                  {"transport", transport->descriptor.name}});
    a.response = protocol::http::json_error(400, std::string("Sec-WebSocket-Protocol must offer ") + subprotocol);
    return a;
  }
  net::ServerHandshake handshake = net::accept_upgrade_request(request, subprotocol ? subprotocol : "");
  a.response = std::move(handshake.response);
  if (!handshake.ok) {
    log::info("upgrade_refused", {{"status", a.response.status}, {"reason", handshake.problem}});
    return a;
  }
  // Counts for draining from the 101 on, until the call is admitted (or the client left).
  a.upgrade = true;
  host_.upgrade_pending(+1);
  return a;
}

void Worker::upgrade_abandoned(const HttpAnswer&) {
  host_.upgrade_pending(-1);
  host_.check_drained();
}

void Worker::hand_over(int fd, std::string early_bytes, const HttpAnswer& answer) {
  GError* error = nullptr;
  GSocket* socket = g_socket_new_from_fd(fd, &error);
  if (!socket) {
    log::warn("upgrade_failed", {{"reason", error ? error->message : "socket"}});
    g_clear_error(&error);
    ::close(fd);
    upgrade_abandoned(answer);
    return;
  }
  on_upgraded(socket, std::move(early_bytes), answer);
  g_object_unref(socket);
}

void Worker::on_upgraded(GSocket* socket, std::string early_bytes, const HttpAnswer& answer) {
  const bool requested_while_draining = answer.requested_while_draining;
  struct Settle {  // after await_start below, so the connection is never uncounted in between
    Host& host;
    ~Settle() { host.upgrade_pending(-1); }
  } settle{host_};
  auto session = std::make_shared<CallSession>(*this, socket, std::move(early_bytes), *answer.transport);
  sessions_.insert(session);
  session->attach();
  if (stopping_ || requested_while_draining) {
    session->finish(protocol::websocket::close_code::kGoingAway, "shutting down", "draining");
    return;
  }
  // Admission (MAX_CONCURRENT_CALLS) happens at `start`: until then the socket holds no slot.
  session->await_start();
}

void Worker::session_finished(CallSession* session) {
  // Defer the erase: we may be inside one of the session's own callbacks.
  struct Ctx {
    Worker* w;
    CallSession* s;
  };
  GSource* idle = g_idle_source_new();
  g_source_set_callback(
      idle,
      [](gpointer data) -> gboolean {
        auto* c = static_cast<Ctx*>(data);
        auto& set = c->w->sessions_;
        auto it = std::find_if(set.begin(), set.end(), [&](const auto& p) { return p.get() == c->s; });
        if (it != set.end()) {
          if ((*it)->admitted()) c->w->host_.call_ended();
          set.erase(it);
        }
        return G_SOURCE_REMOVE;
      },
      new Ctx{this, session}, [](gpointer d) { delete static_cast<Ctx*>(d); });
  g_source_attach(idle, context_);
  g_source_unref(idle);
}

gboolean Worker::uncork_prepare(GSource* source, gint* timeout) {
  *timeout = -1;
  reinterpret_cast<UncorkSource*>(source)->worker->uncork_all();
  return FALSE;
}

void Worker::uncork_all() {
  // A swap: uncorking may close a call, whose teardown may send (and cork) again.
  std::vector<std::weak_ptr<CallSession>> corked;
  corked.swap(corked_);
  for (auto& weak : corked)
    if (auto session = weak.lock()) session->uncork_socket();
  corked.clear();
  if (corked_.empty()) corked_.swap(corked);  // keep the capacity: no allocation per iteration
}

gboolean Worker::on_housekeeping(gpointer self) {
  auto* w = static_cast<Worker*>(self);
  const gint64 now = g_get_monotonic_time();
  // Copy: tick() may finish a session, which must not invalidate this iteration.
  std::vector<std::shared_ptr<CallSession>> sessions(w->sessions_.begin(), w->sessions_.end());
  if (w->pending_) w->pending_->tick(now);
  const bool drain_over = w->drain_deadline_us_ && now >= w->drain_deadline_us_;
  if (w->drain_deadline_us_) w->host_.check_drained();
  for (auto& s : sessions) {
    if (drain_over) {
      s->finish(protocol::websocket::close_code::kGoingAway, "shutting down", "shutdown");
    } else {
      s->tick(now);
    }
  }
  return G_SOURCE_CONTINUE;
}

void Worker::begin_drain() {
  const gint64 deadline =
      g_get_monotonic_time() +
      gint64(host_.config().drain_lame_duck_seconds + host_.config().drain_timeout_seconds) * G_USEC_PER_SEC;
  struct Ctx {
    Worker* w;
    gint64 deadline;
  };
  g_main_context_invoke_full(
      context_, G_PRIORITY_DEFAULT,
      [](gpointer data) -> gboolean {
        auto* c = static_cast<Ctx*>(data);
        c->w->drain_deadline_us_ = std::max<gint64>(c->deadline, 1);
        return G_SOURCE_REMOVE;
      },
      new Ctx{this, deadline}, [](gpointer d) { delete static_cast<Ctx*>(d); });
}

void Worker::close_all(unsigned short code, const char* reason) {
  std::vector<std::shared_ptr<CallSession>> sessions(sessions_.begin(), sessions_.end());
  for (auto& s : sessions) s->finish(code, reason, "shutdown");
}

void Worker::stop() {
  if (!thread_.joinable()) return;
  g_main_context_invoke(
      context_,
      [](gpointer data) -> gboolean {
        auto* w = static_cast<Worker*>(data);
        w->stopping_ = true;
        w->close_all(protocol::websocket::close_code::kGoingAway, "shutting down");
        // Give finishing calls a moment (their own EOS timeout bounds it) before quitting.
        GSource* check = g_timeout_source_new(20);
        g_source_set_callback(
            check,
            [](gpointer d) -> gboolean {
              auto* wk = static_cast<Worker*>(d);
              static thread_local int rounds = 0;
              if (wk->sessions_.empty() || ++rounds > 300) {
                g_main_loop_quit(wk->loop_);
                return G_SOURCE_REMOVE;
              }
              return G_SOURCE_CONTINUE;
            },
            w, nullptr);
        g_source_attach(check, w->context_);
        g_source_unref(check);
        return G_SOURCE_REMOVE;
      },
      this);
  thread_.join();
}

}  // namespace mediaflow::server
