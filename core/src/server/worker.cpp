#include "server/worker.hpp"

#include "server/call_session.hpp"
#include "server/cluster_admission.hpp"
#include "server/http_routes.hpp"

#include <mediaflow/log.hpp>
#include <mediaflow/metrics.hpp>
#include <mediaflow/server/host.hpp>

#include <algorithm>
#include <future>

namespace mediaflow::server {
namespace {
constexpr const char* kRequestedWhileDraining = "mediaflow-requested-while-draining";
constexpr const char* kPendingUpgrade = "mediaflow-pending-upgrade";

// Ends the "pending upgrade" of `msg` once: from the WebSocket callback, or when the message
// finishes without one (a failed handshake).
void settle_pending_upgrade(Host& host, SoupServerMessage* msg) {
  if (g_object_steal_data(G_OBJECT(msg), kPendingUpgrade)) host.upgrade_pending(-1);
}
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
    server_ = soup_server_new("server-header", "mediaflow", nullptr);
    install_handlers();
    GError* err = nullptr;
    if (!soup_server_listen_socket(server_, listen_socket, static_cast<SoupServerListenOptions>(0), &err)) {
      ready.set_value(err ? err->message : "listen failed");
      g_clear_error(&err);
      g_object_unref(listen_socket);
      g_clear_object(&server_);
      cluster_.reset();
      g_main_context_pop_thread_default(context_);
      return;
    }
    g_object_unref(listen_socket);
    GSource* tick = g_timeout_source_new_seconds(1);
    g_source_set_callback(tick, on_housekeeping, this, nullptr);
    g_source_attach(tick, context_);
    g_source_unref(tick);
    ready.set_value("");
    g_main_loop_run(loop_);
    g_source_destroy(tick);
    sessions_.clear();
    cluster_.reset();
    soup_server_disconnect(server_);
    g_clear_object(&server_);
    // Let pending closes and callbacks run out before the context goes away.
    while (g_main_context_iteration(context_, FALSE)) {
    }
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

void Worker::install_handlers() {
  const std::string& ws = host_.config().ws_path;
  // A plain handler: auth, then the 101 answer; the socket is taken over once it is written.
  soup_server_add_handler(server_, ws.c_str(), on_ws_precheck, this, nullptr);
  soup_server_add_handler(server_, "/", on_http, this, nullptr);
}

void Worker::on_http(SoupServer*, SoupServerMessage* msg, const char* path, GHashTable* query,
                     gpointer self) {
  handle_http_request(static_cast<Worker*>(self)->host_, msg, path, query);
}

void Worker::on_ws_precheck(SoupServer*, SoupServerMessage* msg, const char* path, GHashTable* query,
                            gpointer self) {
  auto* w = static_cast<Worker*>(self);
  // Whether the host was draining when the upgrade request arrived: a caller whose request
  // came before SIGTERM has a live call even if the upgrade completes after it.
  if (w->drain_deadline_us_ || w->stopping_ || w->host_.draining())
    g_object_set_data(G_OBJECT(msg), kRequestedWhileDraining, GINT_TO_POINTER(1));
  check_websocket_request(w->host_, msg, path, query);
  if (soup_server_message_get_status(msg) != 0) return;  // refused before the upgrade (401…)
  // Checks the upgrade headers and sets 101 + Sec-WebSocket-Accept, or an error status. No
  // extension is offered: Twilio negotiates none and deflate would only cost CPU per frame.
  if (!soup_websocket_server_process_handshake(msg, nullptr, nullptr, nullptr, nullptr)) return;
  w->host_.upgrade_pending(+1);
  g_object_set_data(G_OBJECT(msg), kPendingUpgrade, GINT_TO_POINTER(1));
  g_signal_connect(msg, "finished", G_CALLBACK(+[](SoupServerMessage* m, gpointer data) {
                     settle_pending_upgrade(static_cast<Worker*>(data)->host(), m);
                   }), w);
  // libsoup's own WebSocket handler completes the upgrade at the same point.
  g_signal_connect(msg, "wrote-informational", G_CALLBACK(on_upgraded), w);
}

void Worker::on_upgraded(SoupServerMessage* msg, gpointer self) {
  auto* w = static_cast<Worker*>(self);
  if (soup_server_message_get_status(msg) != SOUP_STATUS_SWITCHING_PROTOCOLS) return;
  g_signal_handlers_disconnect_by_func(msg, reinterpret_cast<gpointer>(on_upgraded), self);
  struct Settle {  // after admission below, so the call is never uncounted in between
    Worker* w;
    SoupServerMessage* msg;
    ~Settle() { settle_pending_upgrade(w->host(), msg); }
  } settle{w, msg};
  GSocket* socket = soup_server_message_get_socket(msg);
  if (!socket) return;
  g_object_ref(socket);
  GIOStream* stream = soup_server_message_steal_connection(msg);
  auto session = std::make_shared<CallSession>(*w, stream, socket);
  g_object_unref(stream);
  g_object_unref(socket);
  w->sessions_.insert(session);
  session->attach();
  if (w->stopping_ || g_object_get_data(G_OBJECT(msg), kRequestedWhileDraining)) {
    session->finish(SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "shutting down", "draining");
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

gboolean Worker::on_housekeeping(gpointer self) {
  auto* w = static_cast<Worker*>(self);
  const gint64 now = g_get_monotonic_time();
  // Copy: tick() may finish a session, which must not invalidate this iteration.
  std::vector<std::shared_ptr<CallSession>> sessions(w->sessions_.begin(), w->sessions_.end());
  const bool drain_over = w->drain_deadline_us_ && now >= w->drain_deadline_us_;
  if (w->drain_deadline_us_) w->host_.check_drained();
  for (auto& s : sessions) {
    if (drain_over) {
      s->finish(SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "shutting down", "shutdown");
    } else {
      s->tick(now);
    }
  }
  return G_SOURCE_CONTINUE;
}

void Worker::begin_drain() {
  const gint64 deadline =
      g_get_monotonic_time() + gint64(host_.config().drain_timeout_seconds) * G_USEC_PER_SEC;
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
        w->close_all(SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "shutting down");
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
