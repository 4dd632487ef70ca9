// A worker's connections that are not (yet) WebSockets: every accepted socket lives here
// until its HTTP answer is out or its upgrade is handed over. Enforces the host-wide cap
// (MAX_PENDING_CONNECTIONS: above it a new connection is shed at once) and, from the worker's
// 1 s tick, each connection's deadline (HANDSHAKE_TIMEOUT_SECONDS from accept until the
// request is complete). Keeps mediaflow_connections_pending. Worker thread only.
#pragma once

#include "server/http_connection.hpp"

#include <mediaflow/net/epoll_dispatcher.hpp>

#include <memory>
#include <unordered_map>
#include <vector>

namespace mediaflow::server {

class Host;

class PendingConnections {
 public:
  PendingConnections(net::EpollDispatcher& epoll, Host& host, HttpRouter& router);
  // Closes every connection still open.
  ~PendingConnections();
  PendingConnections(const PendingConnections&) = delete;
  PendingConnections& operator=(const PendingConnections&) = delete;

  // A freshly accepted socket (owned from here).
  void adopt(int fd);
  // Closes what is past its deadline.
  void tick(gint64 now_us);
  std::size_t size() const { return open_.size(); }

  // From HttpConnection, once: it is closed or handed over. Destroyed on the next dispatch.
  void connection_done(HttpConnection* connection);

 private:
  void reap();

  net::EpollDispatcher& epoll_;
  Host& host_;
  HttpRouter& router_;
  std::unordered_map<HttpConnection*, std::unique_ptr<HttpConnection>> open_;
  std::vector<std::unique_ptr<HttpConnection>> finished_;  // waiting for reap()
  net::EpollDispatcher::Timer reap_timer_;
};

}  // namespace mediaflow::server
