#include <mediaflow/net/epoll_dispatcher.hpp>

#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cstring>
#include <mutex>
#include <unordered_map>

namespace mediaflow::net {

struct EpollDispatcher::Source {
  GSource base;
  EpollDispatcher* owner;
};

namespace {
// Enough for a busy wake-up; more ready sockets are simply taken on the next iteration.
constexpr int kMaxEventsPerDispatch = 256;
constexpr std::size_t kReadBufferBytes = 64 * 1024;

struct Registry {
  std::mutex mutex;
  std::unordered_map<GMainContext*, std::weak_ptr<EpollDispatcher>> by_context;
};

// Never destroyed: a dispatcher may be released during static destruction.
Registry& registry() {
  static auto* r = new Registry();
  return *r;
}
}  // namespace

std::shared_ptr<EpollDispatcher> EpollDispatcher::for_thread_default() {
  GMainContext* context = g_main_context_ref_thread_default();
  auto dispatcher = for_context(context);
  g_main_context_unref(context);
  return dispatcher;
}

std::shared_ptr<EpollDispatcher> EpollDispatcher::for_context(GMainContext* context) {
  if (!context) context = g_main_context_default();
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  auto& slot = r.by_context[context];
  if (auto existing = slot.lock()) return existing;
  auto* created = new EpollDispatcher(context);
  if (created->epoll_fd_ < 0) {
    delete created;
    r.by_context.erase(context);
    return nullptr;
  }
  std::shared_ptr<EpollDispatcher> shared(created, &EpollDispatcher::release);
  slot = shared;
  return shared;
}

EpollDispatcher::EpollDispatcher(GMainContext* context) : context_(g_main_context_ref(context)) {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) return;  // for_context() answers null; the caller says why
  // No prepare/check: the GSource is dispatched when the epoll fd is readable or its ready
  // time (the earliest timer) has come.
  static GSourceFuncs funcs = {nullptr, nullptr, &EpollDispatcher::dispatch, &EpollDispatcher::finalize,
                               nullptr, nullptr};
  source_ = g_source_new(&funcs, sizeof(Source));
  reinterpret_cast<Source*>(source_)->owner = this;
  g_source_set_name(source_, "mediaflow-epoll");
  g_source_add_unix_fd(source_, epoll_fd_, G_IO_IN);
  // Without this GLib "blocks" the source around every dispatch: it removes the epoll fd from
  // its poll set and adds it back, and each of those writes the context's wake-up eventfd,
  // so the next poll returns at once only to read it: four syscalls per loop iteration, for
  // nothing. Nothing here runs a nested loop; see dispatch_ready() for what one would get.
  g_source_set_can_recurse(source_, TRUE);
  g_source_attach(source_, context);
}

EpollDispatcher::~EpollDispatcher() {
  if (epoll_fd_ >= 0) close(epoll_fd_);
}

void EpollDispatcher::release(EpollDispatcher* self) {
  {
    Registry& r = registry();
    std::lock_guard lock(r.mutex);
    auto it = r.by_context.find(self->context_);
    if (it != r.by_context.end() && it->second.expired()) r.by_context.erase(it);
  }
  GMainContext* context = self->context_;
  if (!self->source_) {
    delete self;
  } else {
    // A dispatch running on the context's thread holds its own reference to the GSource:
    // the object is deleted by finalize() once that dispatch has returned.
    self->released_ = true;
    GSource* source = self->source_;
    g_source_destroy(source);
    g_source_unref(source);
  }
  g_main_context_unref(context);
}

void EpollDispatcher::finalize(GSource* source) { delete reinterpret_cast<Source*>(source)->owner; }

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

std::span<std::uint8_t> EpollDispatcher::read_buffer() {
  if (read_buffer_.empty()) read_buffer_.resize(kReadBufferBytes);
  return read_buffer_;
}

gboolean EpollDispatcher::dispatch(GSource* source, GSourceFunc, gpointer) {
  reinterpret_cast<Source*>(source)->owner->dispatch_ready();
  return G_SOURCE_CONTINUE;
}

void EpollDispatcher::dispatch_ready() {
  // A recursive dispatch (a nested loop inside a handler) leaves the sockets to the outer one
  // (level-triggered: nothing is lost). Due timers do run: the map is re-read at every step,
  // and leaving them would keep the ready time in the past and spin the nested loop.
  epoll_event events[kMaxEventsPerDispatch];
  const int n = dispatching_ ? 0 : epoll_wait(epoll_fd_, events, kMaxEventsPerDispatch, 0);
  if (n > 0) {
    dispatching_ = true;
    for (int i = 0; i < n; ++i) {
      auto* handler = static_cast<Handler*>(events[i].data.ptr);
      if (!removed_while_dispatching_.empty() && removed_while_dispatching_.count(handler)) continue;
      handler->on_io(events[i].events);
    }
    dispatching_ = false;
    if (!removed_while_dispatching_.empty()) removed_while_dispatching_.clear();
  }
  if (ready_time_ >= 0) run_due_timers();
}

void EpollDispatcher::run_due_timers() {
  const gint64 now = g_get_monotonic_time();
  // Timers armed while these run wait for the next dispatch, even when already due: a
  // callback re-arming itself "now" cannot spin here.
  const std::uint64_t seq_limit = next_timer_seq_;
  while (!timers_.empty()) {
    auto it = timers_.begin();
    if (it->first.first > now) break;
    if (it->first.second >= seq_limit) {
      // Due but armed during this pass: find an older due timer behind it, if any.
      auto older = std::find_if(it, timers_.end(), [&](const auto& entry) {
        return entry.first.first > now || entry.first.second < seq_limit;
      });
      if (older == timers_.end() || older->first.first > now) break;
      it = older;
    }
    Timer* timer = it->second;
    timers_.erase(it);
    timer->dispatcher_ = nullptr;
    std::function<void()> fn;
    fn.swap(timer->fn_);  // the callback may destroy or re-arm the timer
    fn();
  }
  update_ready_time();
}

void EpollDispatcher::schedule(Timer* timer) {
  timer->key_.second = next_timer_seq_++;
  timers_.emplace(timer->key_, timer);
  if (ready_time_ < 0 || timer->key_.first < ready_time_) update_ready_time();
}

void EpollDispatcher::unschedule(Timer* timer) {
  timers_.erase(timer->key_);
  // The ready time is left as it is: an early wake-up finds nothing due and moves it on.
}

void EpollDispatcher::update_ready_time() {
  if (released_) return;
  const gint64 next = timers_.empty() ? -1 : timers_.begin()->first.first;
  if (next == ready_time_) return;
  ready_time_ = next;
  g_source_set_ready_time(source_, next);
}

void EpollDispatcher::Timer::arm_at(EpollDispatcher& dispatcher, gint64 deadline_us, std::function<void()> fn) {
  cancel();
  dispatcher_ = &dispatcher;
  key_.first = deadline_us;
  fn_ = std::move(fn);
  dispatcher.schedule(this);
}

void EpollDispatcher::Timer::arm_in_ms(EpollDispatcher& dispatcher, unsigned ms, std::function<void()> fn) {
  arm_at(dispatcher, g_get_monotonic_time() + gint64(ms) * 1000, std::move(fn));
}

void EpollDispatcher::Timer::cancel() {
  if (!dispatcher_) return;
  dispatcher_->unschedule(this);
  dispatcher_ = nullptr;
  fn_ = nullptr;
}

}  // namespace mediaflow::net
