#include "server/event_file_writer.hpp"

#include <mediaflow/log.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <utility>
#include <vector>

namespace mediaflow::server {

namespace {

bool write_all(int fd, const std::string& data) {
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

// A bounded queue would drop PHI evidence silently; lines are small, so the queue is
// unbounded and failures are logged.
EventFileWriter::EventFileWriter(std::size_t max_open_files, unsigned batch_ms)
    : max_open_files_(max_open_files ? max_open_files : 1), batch_ms_(batch_ms), thread_([this] { run(); }) {}

EventFileWriter::~EventFileWriter() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
  for (auto& [path, file] : files_) ::close(file.fd);
}

void EventFileWriter::append(std::string path, std::string line) {
  bool wake;
  {
    std::lock_guard lock(mutex_);
    // A call's first line is written at once (its file exists and is open from then on, as
    // before the batching); later lines wait for the window.
    const bool first = started_.insert(path).second;
    if (first) ends_queued_ = true;
    wake = first ? (idle_ || !busy_) : (idle_ && queue_.empty());  // else a wake-up is pending, or the writer is gathering or working
    queue_.push_back({std::move(path), std::move(line), false, {}});
  }
  if (wake) cv_.notify_one();
}

void EventFileWriter::close(std::string path) {
  bool wake;
  {
    std::lock_guard lock(mutex_);
    wake = idle_ || !busy_;  // the call is over: its lines go now, not at the end of the window
    ends_queued_ = true;
    started_.erase(path);
    queue_.push_back({std::move(path), {}, true, {}});
  }
  if (wake) cv_.notify_one();
}

void EventFileWriter::run_after(std::function<void()> fn) {
  bool wake;
  {
    std::lock_guard lock(mutex_);
    wake = idle_ || !busy_;  // a call's end (evidence waits for it): no batching window
    ends_queued_ = true;
    queue_.push_back({{}, {}, false, std::move(fn)});
  }
  if (wake) cv_.notify_one();
}

void EventFileWriter::flush() {
  std::unique_lock lock(mutex_);
  hurry_ = true;
  cv_.notify_one();
  idle_cv_.wait(lock, [this] { return queue_.empty() && !busy_; });
  hurry_ = false;
}

std::uint64_t EventFileWriter::batches() {
  std::lock_guard lock(mutex_);
  return batches_done_;
}

std::size_t EventFileWriter::open_files() {
  std::lock_guard lock(mutex_);
  return open_count_;
}

void EventFileWriter::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    idle_ = true;
    cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
    idle_ = false;
    if (queue_.empty() && stop_) break;
    // Gather: what comes within batch_ms of the first line goes out with it.
    if (batch_ms_ > 0)
      cv_.wait_for(lock, std::chrono::milliseconds(batch_ms_), [this] { return stop_ || hurry_ || ends_queued_; });
    ends_queued_ = false;
    std::deque<Entry> batch;
    batch.swap(queue_);
    busy_ = true;
    lock.unlock();
    write_batch(batch);
    lock.lock();
    busy_ = false;
    ++batches_done_;
    open_count_ = files_.size();
    if (queue_.empty()) idle_cv_.notify_all();
  }
  idle_cv_.notify_all();
}

// Lines are gathered per file in queue order and written with one write() per file; a close
// marker first writes what came before it.
void EventFileWriter::write_batch(std::deque<Entry>& batch) {
  ++batch_number_;
  std::unordered_map<std::string, std::string> pending;
  std::vector<std::string> order;  // files in first-seen order, for deterministic writes
  auto write_pending = [&](const std::string& path) {
    auto it = pending.find(path);
    if (it == pending.end() || it->second.empty()) return;
    const int fd = file_for(path);
    if (fd < 0 || !write_all(fd, it->second)) {
      // Once per file until it works again: a full disk must not turn into a log line per
      // batch per call.
      if (failing_.insert(path).second) log::warn("call_event_write_failed", {{"error", std::strerror(errno)}});
      close_file(path);  // reopened on the next line (the disk may have room again)
    } else if (!failing_.empty()) {
      failing_.erase(path);
    }
    it->second.clear();
  };
  for (auto& e : batch) {
    if (e.then) {  // everything before it first
      for (const auto& path : order) write_pending(path);
      e.then();
      continue;
    }
    if (e.close) {
      write_pending(e.path);
      close_file(e.path);
      failing_.erase(e.path);
      continue;
    }
    auto [it, inserted] = pending.try_emplace(e.path);
    if (inserted) order.push_back(e.path);
    it->second.append(e.line).push_back('\n');
  }
  for (const auto& path : order) write_pending(path);
}

int EventFileWriter::file_for(const std::string& path) {
  if (auto it = files_.find(path); it != files_.end()) {
    it->second.last_used = batch_number_;
    return it->second.fd;
  }
  if (files_.size() >= max_open_files_) evict_least_recently_used();
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return -1;
  files_.emplace(path, OpenFile{fd, batch_number_});
  return fd;
}

void EventFileWriter::close_file(const std::string& path) {
  auto it = files_.find(path);
  if (it == files_.end()) return;
  ::close(it->second.fd);
  files_.erase(it);
}

void EventFileWriter::evict_least_recently_used() {
  auto oldest = files_.begin();
  for (auto it = files_.begin(); it != files_.end(); ++it)
    if (it->second.last_used < oldest->second.last_used) oldest = it;
  if (oldest != files_.end()) {
    ::close(oldest->second.fd);
    files_.erase(oldest);
  }
}

}  // namespace mediaflow::server
