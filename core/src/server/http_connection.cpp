#include "server/http_connection.hpp"

#include "server/pending_connections.hpp"

#include <mediaflow/metrics.hpp>

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <string_view>

namespace mediaflow::server {
namespace {

namespace http = protocol::http;

// Writing an answer (a /metrics page to a client that reads slowly, or a 101).
constexpr gint64 kAnswerTimeoutUs = 10 * G_USEC_PER_SEC;
// After the answer: how long, and how much, the peer may still send before the close.
constexpr gint64 kLingerUs = 2 * G_USEC_PER_SEC;
constexpr std::size_t kMaxLingerBytes = 256 * 1024;
// Reads per wake-up before yielding to the other connections and calls of the loop.
constexpr int kMaxReadsPerWakeup = 4;

constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

bool expects_continue(const http::Request& request) {
  const auto expect = request.header("Expect");
  return request.minor_version >= 1 && expect && http::equals_ignoring_case(*expect, "100-continue");
}

}  // namespace

HttpConnection::HttpConnection(net::EpollDispatcher& epoll, int fd, HttpRouter& router, PendingConnections& owner,
                               http::Limits limits, gint64 request_deadline_us)
    : epoll_(epoll), fd_(fd), router_(router), owner_(owner), parser_(limits), deadline_us_(request_deadline_us) {}

HttpConnection::~HttpConnection() {
  if (phase_ == Phase::kDone) return;
  epoll_.remove(fd_, this);
  ::close(fd_);
}

bool HttpConnection::start() {
  if (epoll_.add(fd_, EPOLLIN, this)) return true;
  close("client_gone");
  return false;
}

void HttpConnection::check_deadline(gint64 now_us) {
  if (phase_ == Phase::kDone || now_us < deadline_us_) return;
  switch (phase_) {
    case Phase::kReading: close("handshake_timeout"); break;
    case Phase::kWriting: close("write_timeout"); break;
    default: close(close_reason_); break;  // lingering ends: the answer got out
  }
}

void HttpConnection::on_io(std::uint32_t events) {
  switch (phase_) {
    case Phase::kReading:
      if (events & EPOLLERR) {
        close("client_gone");
      } else {
        read_request();
      }
      break;
    case Phase::kWriting:
      if (events & (EPOLLERR | EPOLLHUP)) {
        close("client_gone");
      } else {
        write_pending();
      }
      break;
    case Phase::kLingering:
      discard_input();
      break;
    case Phase::kDone:
      break;
  }
}

void HttpConnection::read_request() {
  const auto buffer = epoll_.read_buffer();
  for (int round = 0; round < kMaxReadsPerWakeup; ++round) {
    const ssize_t n = ::recv(fd_, buffer.data(), buffer.size(), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      close("client_gone");
      return;
    }
    if (n == 0) {  // the peer closed before its request was complete
      close("client_gone");
      return;
    }
    const auto status = parser_.feed({reinterpret_cast<const char*>(buffer.data()), static_cast<std::size_t>(n)});
    if (status == http::ParseStatus::kError) {
      close_reason_ = "bad_request";
      respond({http::json_error(parser_.error_status(), parser_.error_reason())}, true);
      return;
    }
    if (status == http::ParseStatus::kComplete) {
      const auto& request = parser_.request();
      respond(router_.answer(request), request.method != "HEAD");
      return;
    }
    if (parser_.head_complete() && !continue_sent_ && expects_continue(parser_.request())) {
      continue_sent_ = true;  // a few bytes into an empty send buffer: taken at once
      (void)!::send(fd_, kContinue.data(), kContinue.size(), MSG_NOSIGNAL);
    }
    if (static_cast<std::size_t>(n) < buffer.size()) return;
  }
}

void HttpConnection::respond(HttpAnswer answer, bool include_body) {
  answer_ = std::move(answer);
  out_ = http::serialize(answer_.response, http::http_date(std::time(nullptr)), include_body);
  phase_ = Phase::kWriting;
  deadline_us_ = g_get_monotonic_time() + kAnswerTimeoutUs;
  write_pending();
}

void HttpConnection::write_pending() {
  while (out_offset_ < out_.size()) {
    const ssize_t n = ::send(fd_, out_.data() + out_offset_, out_.size() - out_offset_, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        epoll_.modify(fd_, EPOLLOUT, this);  // input waits until the answer is out
        return;
      }
      close("client_gone");
      return;
    }
    out_offset_ += static_cast<std::size_t>(n);
  }
  if (!answer_.upgrade) {
    linger();
    return;
  }
  // The 101 is out: from here the socket speaks WebSocket, owned by the router.
  phase_ = Phase::kDone;
  epoll_.remove(fd_, this);
  const int fd = fd_;
  fd_ = -1;
  router_.hand_over(fd, std::string(parser_.leftover()), answer_);
  owner_.connection_done(this);
}

void HttpConnection::linger() {
  // FIN after the answer; reading on until the peer's FIN means our close never turns into a
  // reset that could destroy the answer in the peer's receive buffer.
  ::shutdown(fd_, SHUT_WR);
  phase_ = Phase::kLingering;
  deadline_us_ = g_get_monotonic_time() + kLingerUs;
  out_.clear();
  out_.shrink_to_fit();
  epoll_.modify(fd_, EPOLLIN, this);
  discard_input();
}

void HttpConnection::discard_input() {
  const auto buffer = epoll_.read_buffer();
  for (int round = 0; round < kMaxReadsPerWakeup; ++round) {
    const ssize_t n = ::recv(fd_, buffer.data(), buffer.size(), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    if (n <= 0 || (discarded_ += static_cast<std::size_t>(n)) > kMaxLingerBytes) {
      close(close_reason_);
      return;
    }
  }
}

void HttpConnection::close(const char* reason) {
  if (phase_ == Phase::kDone) return;
  if (phase_ == Phase::kWriting && answer_.upgrade) router_.upgrade_abandoned(answer_);
  phase_ = Phase::kDone;
  epoll_.remove(fd_, this);
  ::close(fd_);
  fd_ = -1;
  metrics().connections_closed(reason).inc();
  owner_.connection_done(this);
}

}  // namespace mediaflow::server
