// A worker's listening socket on its epoll set: accepts in a bounded batch per wake-up and
// never stops accepting for good (libsoup 3.2's listener dropped its accept source on the
// first EMFILE, and the host never accepted again).
//
// Out of file descriptors (EMFILE/ENFILE) the loop sheds: it frees a reserve descriptor,
// accepts the waiting connection with it, answers 503 and closes it, then takes the reserve
// back — so a client gets an answer instead of waiting in the backlog. If even that fails,
// the listener is left unpolled for 100 ms and tried again. Every failure and shed
// connection is counted (mediaflow_accept_errors_total, mediaflow_connections_shed_total);
// entering and leaving fd exhaustion is logged once each. Worker thread only.
#pragma once

#include <mediaflow/net/epoll_dispatcher.hpp>

#include <functional>

namespace mediaflow::server {

// Best effort, non-blocking: writes a 503 and closes `fd` (a connection refused without
// reading its request). Counts it in mediaflow_connections_shed_total{reason}.
void shed_connection(int fd, const char* reason);

class AcceptLoop final : public net::EpollDispatcher::Handler {
 public:
  // `on_accepted` receives every accepted connection (non-blocking, close-on-exec) and owns it.
  AcceptLoop(net::EpollDispatcher& epoll, int listen_fd, std::function<void(int fd)> on_accepted);
  ~AcceptLoop();
  AcceptLoop(const AcceptLoop&) = delete;
  AcceptLoop& operator=(const AcceptLoop&) = delete;

  // Starts polling the listening socket; false when it cannot be added to the epoll set.
  bool start();

 private:
  void on_io(std::uint32_t events) override;
  void accept_batch();
  // One accept failed with EMFILE/ENFILE: shed one connection with the reserve fd. False when
  // that was not possible either (the caller then pauses the listener).
  bool shed_with_reserve();
  void set_exhausted(bool exhausted, int error);
  void pause();
  void resume();

  net::EpollDispatcher& epoll_;
  int listen_fd_;  // not owned (the worker's GSocket holds it)
  std::function<void(int)> on_accepted_;
  int reserve_fd_ = -1;
  bool polling_ = false;
  bool exhausted_ = false;
  net::EpollDispatcher::Timer resume_timer_;
};

}  // namespace mediaflow::server
