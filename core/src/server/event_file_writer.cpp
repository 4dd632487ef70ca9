#include "server/event_file_writer.hpp"

#include <mediaflow/log.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

namespace mediaflow::server {

// A bounded queue would drop PHI evidence silently; transcripts are small and rare (about
// one line a second per call), so the queue is unbounded and failures are logged.
EventFileWriter::EventFileWriter() : thread_([this] { run(); }) {}

EventFileWriter::~EventFileWriter() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void EventFileWriter::append(std::string path, std::string line) {
  {
    std::lock_guard lock(mutex_);
    queue_.emplace_back(std::move(path), std::move(line));
  }
  cv_.notify_one();
}

void EventFileWriter::flush() {
  std::unique_lock lock(mutex_);
  idle_cv_.wait(lock, [this] { return queue_.empty() && !busy_; });
}

void EventFileWriter::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    cv_.wait(lock, [this] { return stop_ || !queue_.empty(); });
    if (queue_.empty() && stop_) break;
    auto [path, line] = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    lock.unlock();
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
    FILE* f = std::fopen(path.c_str(), "a");
    bool ok = f && std::fprintf(f, "%s\n", line.c_str()) >= 0;
    if (f && std::fclose(f) != 0) ok = false;
    if (!ok) {
      log::warn("call_event_write_failed", {{"error", std::strerror(errno)}});
    }
    lock.lock();
    busy_ = false;
    if (queue_.empty()) idle_cv_.notify_all();
  }
  idle_cv_.notify_all();
}

}  // namespace mediaflow::server
