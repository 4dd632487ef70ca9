// A vendor-side WebSocket client (net::WebSocketClient) on a loop thread of its own, recording
// what its callbacks report, for tests that drive a server (a fake vendor, a test server)
// over a real connection.
#pragma once

#include <mediaflow/net/websocket_client.hpp>

#include "support/loop_thread.hpp"
#include "support/wait_until.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mediaflow::test {

class WebSocketProbe {
 public:
  struct Record {
    bool opened = false;
    bool closed = false;
    std::optional<net::WebSocketConnectFailure> failure;
    std::vector<std::pair<net::WebSocketMessageType, std::string>> messages;
    std::uint16_t close_code = 0;
    std::string close_reason;
    std::string error;
  };

  static constexpr int kWaitMs = 5000;

  WebSocketProbe() = default;
  ~WebSocketProbe() {
    loop_.run_sync([this] { client_.reset(); });
  }

  // Connects; false when connect() refused the options at once (*error says why).
  bool connect(net::WebSocketClientOptions options, std::string* error = nullptr) {
    bool ok = false;
    loop_.run_sync([&] {
      net::WebSocketClientCallbacks callbacks;
      callbacks.opened = [this] { update([](Record& r) { r.opened = true; }); };
      callbacks.message = [this](net::WebSocketMessageType type, std::string_view data) {
        update([&](Record& r) { r.messages.emplace_back(type, std::string(data)); });
      };
      callbacks.failed = [this](const net::WebSocketConnectFailure& f) { update([&](Record& r) { r.failure = f; }); };
      callbacks.closed = [this] {
        update([&](Record& r) {
          r.closed = true;
          r.close_code = client_->close_code();
          r.close_reason = client_->close_reason();
          r.error = client_->error();
        });
      };
      client_ = net::WebSocketClient::connect(std::move(options), std::move(callbacks), error);
      ok = client_ != nullptr;
    });
    return ok;
  }

  // Runs `fn` with the client on its loop.
  void with_client(const std::function<void(net::WebSocketClient&)>& fn) {
    loop_.run_sync([&] { fn(*client_); });
  }
  Record record() {
    std::lock_guard lock(mutex_);
    return record_;
  }
  bool wait(const std::function<bool(const Record&)>& predicate, int timeout_ms = kWaitMs) {
    return wait_until([&] { return predicate(record()); }, timeout_ms);
  }
  bool wait_open() {
    return wait([](const Record& r) { return r.opened || r.failure; }) && record().opened;
  }

 private:
  void update(const std::function<void(Record&)>& fn) {
    std::lock_guard lock(mutex_);
    fn(record_);
  }

  LoopThread loop_;
  std::shared_ptr<net::WebSocketClient> client_;  // loop thread only
  std::mutex mutex_;
  Record record_;
};

}  // namespace mediaflow::test
