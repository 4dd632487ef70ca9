// Appends JSON lines to per-call files (transcript.jsonl) on one background thread, so the
// call loops never wait on the disk. Lines for one file keep their order.
#pragma once

#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

namespace mediaflow::server {

class EventFileWriter {
 public:
  EventFileWriter();
  ~EventFileWriter();  // writes what is queued, then stops

  void append(std::string path, std::string line);
  void flush();  // blocks until everything queued so far is written (tests, shutdown)

 private:
  void run();

  std::mutex mutex_;
  std::condition_variable cv_;
  std::condition_variable idle_cv_;
  std::deque<std::pair<std::string, std::string>> queue_;
  bool busy_ = false;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace mediaflow::server
