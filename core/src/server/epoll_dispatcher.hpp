// One epoll set per worker loop, attached to the loop's GMainContext as a single GSource.
// GLib's own loop polls every source's fds on every iteration (O(calls) per wake-up, and a
// worker wakes thousands of times a second); with every call socket in one epoll set the
// GLib loop polls one fd and each wake-up costs only the sockets that are ready.
#pragma once

#include <glib.h>

#include <cstdint>
#include <unordered_set>

namespace mediaflow::server {

class EpollDispatcher {
 public:
  class Handler {
   public:
    // `events`: EPOLLIN / EPOLLOUT / EPOLLHUP / EPOLLERR bits as epoll reported them.
    virtual void on_io(std::uint32_t events) = 0;

   protected:
    ~Handler() = default;
  };

  // Attaches to `context`; false from ok() when the epoll set could not be created.
  explicit EpollDispatcher(GMainContext* context);
  ~EpollDispatcher();
  EpollDispatcher(const EpollDispatcher&) = delete;
  EpollDispatcher& operator=(const EpollDispatcher&) = delete;

  bool ok() const { return epoll_fd_ >= 0; }
  bool add(int fd, std::uint32_t events, Handler* handler);
  bool modify(int fd, std::uint32_t events, Handler* handler);
  // After remove() the handler gets no further call, even for events already collected.
  void remove(int fd, Handler* handler);

 private:
  struct Source;
  static gboolean dispatch(GSource* source, GSourceFunc, gpointer);
  void dispatch_ready();

  int epoll_fd_ = -1;
  GSource* source_ = nullptr;
  bool dispatching_ = false;
  std::unordered_set<Handler*> removed_while_dispatching_;
};

}  // namespace mediaflow::server
