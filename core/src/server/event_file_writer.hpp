// Appends JSON lines to per-call files (transcript.jsonl) on one background thread, so the
// call loops never wait on the disk. Lines for one file keep their order.
//
// A busy agent call produces dozens of events a second (a mark echo and a `heard` per 20 ms
// audio chunk), so a call's file stays open until close() and each wake-up writes everything
// queued for a file with one write(): one open per call instead of an open/append/close per
// line. The writer wakes at most once per `batch_ms` (the first line after a quiet spell wakes
// it, the lines of the next batch_ms go with it; a file's first line, close(), run_after(),
// flush() and the destructor do not wait: a call's file exists from its first event and is
// complete when the call has ended):
// waking per line cost a futex wake, a context switch and a write() per event, ~2.5 futex
// calls per agent frame at 100 calls (session 7, docs/benchmarks.md). A line reaches its file
// at most batch_ms after it was appended.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>

namespace mediaflow::server {

class EventFileWriter {
 public:
  // At most `max_open_files` files are held open; past that the least recently written is
  // closed (and reopened if it gets another line).
  static constexpr unsigned kDefaultBatchMs = 100;
  explicit EventFileWriter(std::size_t max_open_files = 4096, unsigned batch_ms = kDefaultBatchMs);
  ~EventFileWriter();  // writes what is queued, closes every file, then stops

  void append(std::string path, std::string line);
  // The call is over: its file is closed once the lines queued before are written.
  void close(std::string path);
  // Runs `fn` on the writer thread once every line and close queued before it is done.
  void run_after(std::function<void()> fn);
  void flush();  // blocks until everything queued so far is written (tests, shutdown)

  std::size_t open_files();  // for tests
  std::uint64_t batches();   // for tests: wake-ups that wrote something

 private:
  struct Entry {
    std::string path;
    std::string line;
    bool close = false;
    std::function<void()> then;  // a run_after marker
  };
  struct OpenFile {
    int fd = -1;
    std::uint64_t last_used = 0;
  };

  void run();
  void write_batch(std::deque<Entry>& batch);
  int file_for(const std::string& path);
  void close_file(const std::string& path);
  void evict_least_recently_used();

  const std::size_t max_open_files_;
  const unsigned batch_ms_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::condition_variable idle_cv_;
  std::deque<Entry> queue_;
  bool busy_ = false;
  bool stop_ = false;
  bool idle_ = false;     // the writer waits for a first line (a wake-up is needed)
  bool hurry_ = false;    // flush(): write what is queued without waiting out batch_ms
  bool ends_queued_ = false;  // a file's first line, a close() or run_after() is queued: no waiting out batch_ms
  std::unordered_set<std::string> started_;  // files with a line since their last close()
  std::uint64_t batches_done_ = 0;
  // Writer thread only.
  std::unordered_map<std::string, OpenFile> files_;
  std::unordered_set<std::string> failing_;  // files whose last write failed (warned once)
  std::uint64_t batch_number_ = 0;
  std::size_t open_count_ = 0;  // mirror of files_.size() readable under mutex_
  std::thread thread_;
};

}  // namespace mediaflow::server
