// The scaffolding every fake vendor server shares: a libsoup 3 server listening on
// 127.0.0.1, running on its own thread with its own GMainContext (thread-default there), so
// the fakes answer while the test thread blocks. The fake adds its handlers in `setup` and
// releases its per-connection state in `teardown`, both on the server thread.
#pragma once

#include <glib.h>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <thread>

typedef struct _SoupServer SoupServer;
typedef struct _SoupServerMessage SoupServerMessage;
typedef struct _GTlsCertificate GTlsCertificate;

namespace mediaflow::test {

class LoopbackSoupServer {
 public:
  LoopbackSoupServer() = default;
  ~LoopbackSoupServer();
  LoopbackSoupServer(const LoopbackSoupServer&) = delete;
  LoopbackSoupServer& operator=(const LoopbackSoupServer&) = delete;

  // Starts the thread: a server without the deflate extension, `setup(server)` to add the
  // handlers, then listens on 127.0.0.1:port (0: any free port). Returns the port, or 0 when
  // it cannot listen (the thread is gone again; `*error` says why). `teardown` runs on the
  // server thread once the loop has stopped, before the server is disconnected. Idempotent
  // while running (returns the port).
  std::uint16_t start(std::uint16_t port, const std::function<void(SoupServer*)>& setup,
                      std::function<void()> teardown = {}, std::string* error = nullptr);
  // Before start(): serve HTTPS/WSS with this certificate (and its private key).
  void use_tls(GTlsCertificate* certificate);
  // Stops the loop, runs `teardown`, drops the server, drains and frees the context.
  void stop();

  bool running() const { return thread_.joinable(); }
  std::uint16_t port() const { return port_; }  // the last port listened on (0: none)
  GMainContext* context() const { return context_; }  // the server thread's (null when stopped)

 private:
  void join();  // joins the thread, frees loop and context

  GMainContext* context_ = nullptr;
  GMainLoop* loop_ = nullptr;
  GTlsCertificate* certificate_ = nullptr;
  std::thread thread_;
  std::uint16_t port_ = 0;
};

// The request's query parameters, unescaped (a repeated name keeps its last value).
std::map<std::string, std::string> query_params(SoupServerMessage* msg);
// The request header `name` ("" when absent).
std::string request_header(SoupServerMessage* msg, const char* name);

}  // namespace mediaflow::test
