#include "server/epoll_dispatcher.hpp"

#include <mediaflow/log.hpp>

#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace mediaflow::server {

struct EpollDispatcher::Source {
  GSource base;
  EpollDispatcher* owner;
};

namespace {
// Enough for a busy wake-up; more ready sockets are simply taken on the next iteration.
constexpr int kMaxEventsPerDispatch = 256;
}  // namespace

EpollDispatcher::EpollDispatcher(GMainContext* context) {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) {
    log::error("epoll_create_failed", {{"error", std::strerror(errno)}});
    return;
  }
  // No prepare/check: a GSource with a unix fd is dispatched when that fd is ready.
  static GSourceFuncs funcs = {nullptr, nullptr, &EpollDispatcher::dispatch, nullptr, nullptr, nullptr};
  source_ = g_source_new(&funcs, sizeof(Source));
  reinterpret_cast<Source*>(source_)->owner = this;
  g_source_set_name(source_, "mediaflow-epoll");
  g_source_add_unix_fd(source_, epoll_fd_, G_IO_IN);
  // Without this GLib "blocks" the source around every dispatch: it removes the epoll fd from
  // its poll set and adds it back, and each of those writes the context's wake-up eventfd,
  // so the next poll returns at once only to read it: four syscalls per loop iteration, for
  // nothing. Nothing here runs a nested loop; a recursive dispatch would return at once.
  g_source_set_can_recurse(source_, TRUE);
  g_source_attach(source_, context);
}

EpollDispatcher::~EpollDispatcher() {
  if (source_) {
    g_source_destroy(source_);
    g_source_unref(source_);
  }
  if (epoll_fd_ >= 0) close(epoll_fd_);
}

bool EpollDispatcher::add(int fd, std::uint32_t events, Handler* handler) {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = handler;
  removed_while_dispatching_.erase(handler);  // a new handler may reuse a freed address
  return epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) == 0;
}

bool EpollDispatcher::modify(int fd, std::uint32_t events, Handler* handler) {
  epoll_event ev{};
  ev.events = events;
  ev.data.ptr = handler;
  return epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &ev) == 0;
}

void EpollDispatcher::remove(int fd, Handler* handler) {
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr);
  if (dispatching_) removed_while_dispatching_.insert(handler);
}

gboolean EpollDispatcher::dispatch(GSource* source, GSourceFunc, gpointer) {
  reinterpret_cast<Source*>(source)->owner->dispatch_ready();
  return G_SOURCE_CONTINUE;
}

void EpollDispatcher::dispatch_ready() {
  if (dispatching_) return;  // recursion (a nested loop inside a handler): level-triggered, nothing is lost
  epoll_event events[kMaxEventsPerDispatch];
  const int n = epoll_wait(epoll_fd_, events, kMaxEventsPerDispatch, 0);
  if (n <= 0) return;
  dispatching_ = true;
  for (int i = 0; i < n; ++i) {
    auto* handler = static_cast<Handler*>(events[i].data.ptr);
    if (!removed_while_dispatching_.empty() && removed_while_dispatching_.count(handler)) continue;
    handler->on_io(events[i].events);
  }
  dispatching_ = false;
  if (!removed_while_dispatching_.empty()) removed_while_dispatching_.clear();
}

}  // namespace mediaflow::server
