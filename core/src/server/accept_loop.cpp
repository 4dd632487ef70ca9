#include "server/accept_loop.hpp"

#include <mediaflow/log.hpp>
#include <mediaflow/metrics.hpp>
#include <mediaflow/protocol/http_response.hpp>

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <string>

namespace mediaflow::server {
namespace {

// Connections accepted per wake-up before the loop serves its calls again (level-triggered:
// the rest of the backlog is taken on the next iteration).
constexpr int kMaxAcceptsPerWakeup = 64;
// How long the listener rests when not even the reserve descriptor helps.
constexpr unsigned kPauseMs = 100;

// Written without a Date header: built once, never allocated while descriptors are short.
const std::string& service_unavailable() {
  static const std::string answer =
      protocol::http::serialize(protocol::http::json_error(503, "overloaded"), {});
  return answer;
}

const char* accept_error_reason(int error) {
  switch (error) {
    case EMFILE: return "emfile";
    case ENFILE: return "enfile";
    case ENOBUFS:
    case ENOMEM: return "enomem";
    default: return "other";
  }
}

int open_reserve() { return ::open("/dev/null", O_RDONLY | O_CLOEXEC); }

}  // namespace

void shed_connection(int fd, const char* reason) {
  metrics().connections_shed(reason).inc();  // before the client can see the answer
  // A fresh socket's send buffer takes these bytes at once; if not, the client gets the close.
  const std::string& answer = service_unavailable();
  (void)!::send(fd, answer.data(), answer.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  // Closing with unread input sends a reset, which may overtake the answer: drop what the
  // request sent so far (one read, never waiting).
  char scratch[4096];
  (void)!::recv(fd, scratch, sizeof scratch, MSG_DONTWAIT);
  ::close(fd);
}

AcceptLoop::AcceptLoop(net::EpollDispatcher& epoll, int listen_fd, std::function<void(int)> on_accepted)
    : epoll_(epoll), listen_fd_(listen_fd), on_accepted_(std::move(on_accepted)), reserve_fd_(open_reserve()) {}

AcceptLoop::~AcceptLoop() {
  resume_timer_.cancel();
  if (polling_) epoll_.remove(listen_fd_, this);
  if (reserve_fd_ >= 0) ::close(reserve_fd_);
}

bool AcceptLoop::start() {
  // The socket came from GLib (blocking by default): accept4 must never block the loop.
  const int flags = ::fcntl(listen_fd_, F_GETFL);
  if (flags < 0 || ::fcntl(listen_fd_, F_SETFL, flags | O_NONBLOCK) != 0) return false;
  polling_ = epoll_.add(listen_fd_, EPOLLIN, this);
  return polling_;
}

void AcceptLoop::on_io(std::uint32_t) { accept_batch(); }

void AcceptLoop::accept_batch() {
  for (int i = 0; i < kMaxAcceptsPerWakeup; ++i) {
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd >= 0) {
      set_exhausted(false, 0);
      on_accepted_(fd);
      continue;
    }
    const int error = errno;
    if (error == EAGAIN || error == EWOULDBLOCK) return;
    if (error == EINTR) continue;
    // The connection died in the backlog, or a network error: the next one may be fine
    // (accept(2) says to treat these like EAGAIN and retry).
    if (error == ECONNABORTED || error == EPROTO || error == EPERM || error == ENETDOWN ||
        error == ENOPROTOOPT || error == EHOSTDOWN || error == ENONET || error == EHOSTUNREACH ||
        error == EOPNOTSUPP || error == ENETUNREACH) {
      metrics().accept_errors("aborted").inc();
      continue;
    }
    metrics().accept_errors(accept_error_reason(error)).inc();
    if (error == EMFILE || error == ENFILE) {
      set_exhausted(true, error);
      if (shed_with_reserve()) continue;
    } else {
      log::warn("accept_failed", {{"errno", error}});
    }
    pause();
    return;
  }
}

bool AcceptLoop::shed_with_reserve() {
  if (reserve_fd_ < 0) reserve_fd_ = open_reserve();
  if (reserve_fd_ < 0) return false;
  ::close(reserve_fd_);
  reserve_fd_ = -1;
  const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
  const bool shed = fd >= 0;
  if (shed) shed_connection(fd, "fd_exhaustion");
  // Another thread may have taken the slot in between; then the next round retries.
  reserve_fd_ = open_reserve();
  return shed && reserve_fd_ >= 0;
}

void AcceptLoop::set_exhausted(bool exhausted, int error) {
  if (exhausted == exhausted_) return;
  exhausted_ = exhausted;
  if (exhausted) {
    log::warn("fd_exhaustion_started", {{"reason", accept_error_reason(error)},
                                        {"detail", "new connections are answered 503 until descriptors free up"}});
  } else {
    log::info("fd_exhaustion_ended", {});
    if (reserve_fd_ < 0) reserve_fd_ = open_reserve();
  }
}

void AcceptLoop::pause() {
  if (!polling_) return;
  epoll_.remove(listen_fd_, this);
  polling_ = false;
  resume_timer_.arm_in_ms(epoll_, kPauseMs, [this] { resume(); });
}

void AcceptLoop::resume() {
  polling_ = epoll_.add(listen_fd_, EPOLLIN, this);
  if (!polling_) resume_timer_.arm_in_ms(epoll_, kPauseMs, [this] { resume(); });
}

}  // namespace mediaflow::server
