#include "support/loopback_soup_server.hpp"

#include <libsoup/soup.h>

#include <condition_variable>
#include <mutex>

namespace mediaflow::test {

LoopbackSoupServer::~LoopbackSoupServer() {
  stop();
  g_clear_object(&certificate_);
}

void LoopbackSoupServer::use_tls(GTlsCertificate* certificate) {
  g_set_object(&certificate_, certificate);
}

std::uint16_t LoopbackSoupServer::start(std::uint16_t port, const std::function<void(SoupServer*)>& setup,
                                        std::function<void()> teardown, std::string* error) {
  if (running()) return port_;
  context_ = g_main_context_new();
  loop_ = g_main_loop_new(context_, FALSE);
  port_ = 0;
  std::mutex m;
  std::condition_variable cv;
  bool ready = false;
  std::string listen_error;
  thread_ = std::thread([&, port, teardown = std::move(teardown)] {
    g_main_context_push_thread_default(context_);
    SoupServer* server = soup_server_new("tls-certificate", certificate_, nullptr);
    soup_server_remove_websocket_extension(server, SOUP_TYPE_WEBSOCKET_EXTENSION_DEFLATE);
    setup(server);
    GError* err = nullptr;
    std::uint16_t bound = 0;
    const auto options = static_cast<SoupServerListenOptions>(
        SOUP_SERVER_LISTEN_IPV4_ONLY | (certificate_ ? SOUP_SERVER_LISTEN_HTTPS : 0));
    if (soup_server_listen_local(server, port, options, &err)) {
      GSList* uris = soup_server_get_uris(server);
      if (uris) bound = static_cast<std::uint16_t>(g_uri_get_port(static_cast<GUri*>(uris->data)));
      g_slist_free_full(uris, reinterpret_cast<GDestroyNotify>(g_uri_unref));
    } else {
      listen_error = err->message;
      g_clear_error(&err);
    }
    GMainLoop* loop = loop_;
    GMainContext* context = context_;
    {
      // Notified under the lock: start() returns (and destroys `cv`, a local) only after this
      // scope, never while notify_all() still uses it (ThreadSanitizer caught that race).
      std::lock_guard lock(m);
      port_ = bound;
      ready = true;
      cv.notify_all();
    }
    // From here on, `m`, `cv`, `setup` and `listen_error` may be gone.
    if (bound) g_main_loop_run(loop);
    if (teardown) teardown();
    soup_server_disconnect(server);
    g_object_unref(server);
    while (g_main_context_iteration(context, FALSE)) {
    }
    g_main_context_pop_thread_default(context);
  });
  std::unique_lock lock(m);
  cv.wait(lock, [&] { return ready; });
  if (!port_) {
    lock.unlock();
    join();  // the thread ends by itself: it never ran the loop
    if (error) *error = listen_error;
  }
  return port_;
}

void LoopbackSoupServer::stop() {
  if (!thread_.joinable()) return;
  g_main_context_invoke(context_, [](gpointer loop) -> gboolean {
    g_main_loop_quit(static_cast<GMainLoop*>(loop));
    return G_SOURCE_REMOVE;
  }, loop_);
  join();
}

void LoopbackSoupServer::join() {
  thread_.join();
  g_main_loop_unref(loop_);
  g_main_context_unref(context_);
  loop_ = nullptr;
  context_ = nullptr;
}

std::map<std::string, std::string> query_params(SoupServerMessage* msg) {
  std::map<std::string, std::string> out;
  if (const char* q = g_uri_get_query(soup_server_message_get_uri(msg))) {
    if (GHashTable* params = g_uri_parse_params(q, -1, "&", G_URI_PARAMS_NONE, nullptr)) {
      GHashTableIter it;
      gpointer k, v;
      g_hash_table_iter_init(&it, params);
      while (g_hash_table_iter_next(&it, &k, &v)) out[static_cast<char*>(k)] = static_cast<char*>(v);
      g_hash_table_unref(params);
    }
  }
  return out;
}

std::string request_header(SoupServerMessage* msg, const char* name) {
  const char* v = soup_message_headers_get_one(soup_server_message_get_request_headers(msg), name);
  return v ? v : "";
}

}  // namespace mediaflow::test
