#include "server/pending_connections.hpp"

#include "server/accept_loop.hpp"

#include <mediaflow/metrics.hpp>
#include <mediaflow/server/host.hpp>

namespace mediaflow::server {

PendingConnections::PendingConnections(net::EpollDispatcher& epoll, Host& host, HttpRouter& router)
    : epoll_(epoll), host_(host), router_(router) {}

PendingConnections::~PendingConnections() {
  reap_timer_.cancel();
  std::vector<HttpConnection*> open;
  open.reserve(open_.size());
  for (auto& [raw, owned] : open_) open.push_back(raw);
  for (HttpConnection* c : open) c->close("shutdown");
  // Connections are only destroyed here, after every close() above has run.
}

void PendingConnections::adopt(int fd) {
  if (!host_.try_open_pending_connection()) {
    shed_connection(fd, "pending_cap");
    return;
  }
  metrics().connections_pending().inc();
  const gint64 deadline =
      g_get_monotonic_time() + gint64(host_.config().handshake_timeout_seconds) * G_USEC_PER_SEC;
  auto connection = std::make_unique<HttpConnection>(epoll_, fd, router_, *this, protocol::http::Limits{}, deadline);
  HttpConnection* raw = connection.get();
  open_.emplace(raw, std::move(connection));
  raw->start();
}

void PendingConnections::tick(gint64 now_us) {
  // Collect first: closing changes open_.
  std::vector<HttpConnection*> open;
  open.reserve(open_.size());
  for (auto& [raw, owned] : open_) open.push_back(raw);
  for (HttpConnection* c : open) c->check_deadline(now_us);
}

void PendingConnections::connection_done(HttpConnection* connection) {
  auto it = open_.find(connection);
  if (it == open_.end()) return;
  finished_.push_back(std::move(it->second));
  open_.erase(it);
  host_.pending_connection_closed();
  metrics().connections_pending().dec();
  // We are inside the connection's own callback: it is destroyed from the next dispatch.
  if (finished_.size() == 1) reap_timer_.arm_in_ms(epoll_, 0, [this] { reap(); });
}

void PendingConnections::reap() { finished_.clear(); }

}  // namespace mediaflow::server
