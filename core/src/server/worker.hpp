// One event loop thread with its own GMainContext and SoupServer. Every call accepted here
// lives here: its WebSocket, its pipeline pushes, its bus watch and its vendor clients.
#pragma once

#include "server/loop_mailbox.hpp"
#include "server/websocket_connection.hpp"

#include <libsoup/soup.h>

#include <mediaflow/protocol/twilio_envelope.hpp>

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

class Worker {
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
  // One parser per loop (not per call): its buffers are reused for every frame of every call.
  protocol::twilio::TwilioEnvelopeParser& envelope_parser() { return parser_; }
  // Every call socket of this loop is in this one epoll set.
  EpollDispatcher& epoll() { return *epoll_; }
  // Hands work from other threads to this loop.
  LoopMailbox& mailbox() { return *mailbox_; }

  // Cluster-wide admission in Redis on this loop; nullptr when REDIS_URL is unset.
  ClusterAdmission* cluster() { return cluster_.get(); }

  // CallSession bookkeeping (worker thread only).
  void session_finished(CallSession* session);

 private:
  void run(GSocket* listen_socket);
  void install_handlers();
  static void on_http(SoupServer*, SoupServerMessage*, const char* path, GHashTable* query, gpointer self);
  static void on_ws_precheck(SoupServer*, SoupServerMessage*, const char* path, GHashTable* query, gpointer self);
  static void on_upgraded(SoupServerMessage* msg, gpointer self);
  static gboolean on_housekeeping(gpointer self);
  void close_all(unsigned short code, const char* reason);

  Host& host_;
  unsigned index_;
  GMainContext* context_ = nullptr;
  GMainLoop* loop_ = nullptr;
  SoupServer* server_ = nullptr;
  std::thread thread_;
  std::unordered_set<std::shared_ptr<CallSession>> sessions_;
  gint64 drain_deadline_us_ = 0;  // 0 = not draining
  bool stopping_ = false;
  protocol::twilio::TwilioEnvelopeParser parser_;
  std::shared_ptr<EpollDispatcher> epoll_;  // this context's (shared with any vendor client here)
  std::unique_ptr<LoopMailbox> mailbox_;
  std::unique_ptr<ClusterAdmission> cluster_;  // created and destroyed on the loop's thread
};

}  // namespace mediaflow::server
