// One event loop thread with its own GMainContext and listening socket. Every connection
// accepted here lives here: its HTTP request, then its WebSocket, its pipeline pushes, its bus
// messages and its vendor clients.
#pragma once

#include "server/http_connection.hpp"
#include "server/loop_mailbox.hpp"
#include "server/websocket_connection.hpp"

#include <gio/gio.h>


#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

namespace mediaflow::server {

class Host;
class CallSession;
class ClusterAdmission;
class AcceptLoop;
class PendingConnections;

class Worker final : public HttpRouter {
 public:
  Worker(Host& host, unsigned index);
  ~Worker();

  // Takes ownership of the listening socket; starts the thread. False + *error on failure.
  bool start(GSocket* listen_socket, std::string* error);
  // Closes every call 1001 (pipelines finished), quits the loop, joins the thread.
  void stop();
  // From any thread: refuse new calls from now on; after the drain timeout close all calls 1001.
  void begin_drain();

  Host& host() { return host_; }
  GMainContext* context() { return context_; }
  unsigned index() const { return index_; }
  // Every call socket of this loop is in this one epoll set.
  EpollDispatcher& epoll() { return *epoll_; }
  // Hands work from other threads to this loop.
  LoopMailbox& mailbox() { return *mailbox_; }

  // Cluster-wide admission in Redis on this loop; nullptr when REDIS_URL is unset.
  ClusterAdmission* cluster() { return cluster_.get(); }

  // CallSession bookkeeping (worker thread only).
  void session_finished(CallSession* session);
  // Worker thread only: `session` corked its socket; it is uncorked before the loop polls
  // again (a GSource's prepare), so everything this wake-up sends it leaves in one sendmsg.
  void uncork_before_poll(std::weak_ptr<CallSession> session) { corked_.push_back(std::move(session)); }

  // HttpRouter (worker thread only): the answer to a request before the upgrade, and the
  // socket once the 101 is written.
  HttpAnswer answer(const protocol::http::Request& request) override;
  void hand_over(int fd, std::string early_bytes, const HttpAnswer& answer) override;
  void upgrade_abandoned(const HttpAnswer& answer) override;

 private:
  // The upgraded socket becomes a call (admission, drain and capacity rules).
  void on_upgraded(GSocket* socket, std::string early_bytes, const HttpAnswer& answer);
  static gboolean on_housekeeping(gpointer self);
  static gboolean uncork_prepare(GSource* source, gint* timeout);
  void uncork_all();
  void close_all(unsigned short code, const char* reason);

  Host& host_;
  unsigned index_;
  GMainContext* context_ = nullptr;
  GMainLoop* loop_ = nullptr;
  GSocket* listen_socket_ = nullptr;
  std::thread thread_;
  std::unordered_set<std::shared_ptr<CallSession>> sessions_;
  gint64 drain_deadline_us_ = 0;  // 0 = not draining
  bool stopping_ = false;
  std::shared_ptr<EpollDispatcher> epoll_;  // this context's (shared with any vendor client here)
  std::unique_ptr<LoopMailbox> mailbox_;
  std::unique_ptr<ClusterAdmission> cluster_;  // created and destroyed on the loop's thread
  // Worker thread only; both destroyed before the loop's context goes away.
  std::unique_ptr<PendingConnections> pending_;
  std::unique_ptr<AcceptLoop> accept_loop_;
  std::vector<std::weak_ptr<CallSession>> corked_;  // worker thread only
  GSource* uncork_source_ = nullptr;                 // its prepare runs uncork_all()
};

}  // namespace mediaflow::server
