#include "server/worker.hpp"

#include "server/call_session.hpp"
#include "server/http_routes.hpp"
#include "server/websocket_close.hpp"

#include <mediaflow/log.hpp>
#include <mediaflow/metrics.hpp>
#include <mediaflow/server/host.hpp>

#include <algorithm>
#include <future>

namespace mediaflow::server {
namespace {
// RFC 6455 registry: "Try Again Later"; libsoup 3.2 has no constant for it.
constexpr gushort kCloseTryAgainLater = 1013;
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
}

Worker::~Worker() {
  stop();
  g_main_loop_unref(loop_);
  g_main_context_unref(context_);
}

bool Worker::start(GSocket* listen_socket, std::string* error) {
  std::promise<std::string> ready;
  auto result = ready.get_future();
  thread_ = std::thread([this, listen_socket, &ready] {
    g_main_context_push_thread_default(context_);
    server_ = soup_server_new("server-header", "mediaflow", nullptr);
    // Twilio does not negotiate compression; deflate would only cost CPU per frame.
    soup_server_remove_websocket_extension(server_, SOUP_TYPE_WEBSOCKET_EXTENSION_DEFLATE);
    install_handlers();
    GError* err = nullptr;
    if (!soup_server_listen_socket(server_, listen_socket, static_cast<SoupServerListenOptions>(0), &err)) {
      ready.set_value(err ? err->message : "listen failed");
      g_clear_error(&err);
      g_object_unref(listen_socket);
      g_clear_object(&server_);
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
  soup_server_add_handler(server_, ws.c_str(), on_ws_precheck, this, nullptr);
  soup_server_add_websocket_handler(server_, ws.c_str(), nullptr, nullptr, on_websocket, this, nullptr);
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
  if (soup_server_message_get_status(msg) == 0) {
    w->host_.upgrade_pending(+1);
    g_object_set_data(G_OBJECT(msg), kPendingUpgrade, GINT_TO_POINTER(1));
    g_signal_connect(msg, "finished", G_CALLBACK(+[](SoupServerMessage* m, gpointer data) {
                       settle_pending_upgrade(static_cast<Worker*>(data)->host(), m);
                     }), w);
  }
}

void Worker::on_websocket(SoupServer*, SoupServerMessage* msg, const char*,
                          SoupWebsocketConnection* connection, gpointer self) {
  auto* w = static_cast<Worker*>(self);
  struct Settle {  // after admission below, so the call is never uncounted in between
    Worker* w;
    SoupServerMessage* msg;
    ~Settle() { settle_pending_upgrade(w->host(), msg); }
  } settle{w, msg};
  auto session = std::make_shared<CallSession>(*w, connection, soup_server_message_get_socket(msg));
  session->attach();
  if (w->stopping_ || g_object_get_data(G_OBJECT(msg), kRequestedWhileDraining)) {
    w->sessions_.insert(session);
    w->host_.admit_call_unconditionally();
    session->finish(SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "shutting down", "draining");
    return;
  }
  if (!w->host_.try_admit_call()) {
    // design.md: at capacity the upgrade is accepted, then closed 1013.
    metrics().calls_total("capacity").inc();
    log::warn("call_refused", {{"reason", "at capacity"}});
    // Close from the loop, after libsoup has finished setting the connection up; hold a ref
    // until then (libsoup drops its own when this callback returns).
    GSource* idle = g_idle_source_new();
    g_source_set_callback(
        idle,
        [](gpointer c) -> gboolean {
          auto* conn = SOUP_WEBSOCKET_CONNECTION(c);
          {
            close_websocket(conn, kCloseTryAgainLater, "at capacity");
          }
          return G_SOURCE_REMOVE;
        },
        g_object_ref(connection), g_object_unref);
    g_source_attach(idle, w->context_);
    g_source_unref(idle);
    return;
  }
  w->sessions_.insert(session);
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
          set.erase(it);
          c->w->host_.call_ended();
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
