#include "recording_writer.hpp"

#include <mediaflow/protocol/recording_io.hpp>
#include <mediaflow/protocol/recording_path.hpp>
#include <mediaflow/protocol/wav_header.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <chrono>
#include <cstring>

namespace mediaflow::recorder {
namespace fs = std::filesystem;
namespace proto = mediaflow::protocol;

static_assert(std::endian::native == std::endian::little, "samples are written as they are in memory (S16LE)");

namespace {

bool write_all(int fd, const void* data, std::size_t n, int* err) {
  const auto* p = static_cast<const std::uint8_t*>(data);
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      *err = errno;
      return false;
    }
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

std::uint16_t channels_per_file(Layout l) { return l == Layout::kStereo ? 2 : 1; }

}  // namespace

// Data waits this long in the queue before a pool thread is woken for it: one service run
// and one write per 10 frames of a recording instead of per 2 (at 40 ms the pool threads
// cost ~28 % of the host's CPU at 300 recorded calls). Below the late window (frames wait up
// to 500 ms for the other track anyway) and the header refresh (every second of audio), so
// what a crash can lose does not grow.
constexpr auto kDataFlushDelay = std::chrono::milliseconds(200);

RecordingWriter::RecordingWriter(RecordingConfig config, RecordingCallbacks callbacks)
    : config_(std::move(config)), callbacks_(std::move(callbacks)) {
  pool_id_ = WriterPool::instance().add([this] { return service(); },
                                        [this] {
                                          std::lock_guard lock(mutex_);
                                          done_ = true;
                                          done_cv_.notify_all();  // under the lock: *this may go right after
                                        });
}

RecordingWriter::~RecordingWriter() { finish(); }

bool RecordingWriter::push(Track track, std::int64_t position, std::vector<std::int16_t>&& samples) {
  bool first = false;
  {
    std::lock_guard lock(mutex_);
    if (closed_) return true;  // recording already finalised: nothing to keep
    if (queued_data_ >= config_.queue_limit) {
      ++dropped_;
      return false;
    }
    first = queue_.empty();
    queue_.push_back({Item::Kind::kData, track, position, std::move(samples)});
    ++queued_data_;
  }
  if (first) WriterPool::instance().wake_at(pool_id_, WriterPool::Clock::now() + kDataFlushDelay);
  return true;
}

void RecordingWriter::end_track(Track track) {
  {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    queue_.push_back({Item::Kind::kEnd, track, -1, {}});
  }
  WriterPool::instance().wake(pool_id_);
}

void RecordingWriter::finish() {
  {
    std::lock_guard lock(mutex_);
    if (!closed_) queue_.push_back({Item::Kind::kFinish, Track::kCaller, -1, {}});
    closed_ = true;
  }
  WriterPool::instance().wake(pool_id_);
  std::unique_lock lock(mutex_);
  done_cv_.wait(lock, [this] { return done_; });
}

void RecordingWriter::set_agent_audio(const proto::AgentAudio& agent_audio) {
  std::lock_guard lock(mutex_);
  agent_audio_ = agent_audio;
}

std::uint64_t RecordingWriter::dropped_blocks() const {
  std::lock_guard lock(mutex_);
  return dropped_;
}

WriterPool::Outcome RecordingWriter::service() {
  if (!opened_) {
    opened_ = true;
    open_files();
  }
  {
    std::lock_guard lock(mutex_);
    batch_.swap(queue_);
    queued_data_ = 0;
  }
  for (auto& item : batch_) {
    if (item.kind == Item::Kind::kFinish) {
      batch_.clear();
      finalize(false);
      return {true, {}};
    }
    if (item.kind == Item::Kind::kEnd) {
      ended_[static_cast<int>(item.track)] = true;
      if (ended_[0] && ended_[1]) {
        {
          std::lock_guard lock(mutex_);
          closed_ = true;
        }
        batch_.clear();
        finalize(true);
        return {true, {}};
      }
      continue;
    }
    if (!failed_) apply(item);
  }
  batch_.clear();
  if (!failed_) commit_ready(false);
  // With frames waiting for the other track, come back to write them once they are old.
  if (!failed_ && has_staged())
    return {false, WriterPool::Clock::now() + std::chrono::milliseconds(config_.late_window_ms / 4 + 1)};
  return {false, {}};
}

void RecordingWriter::open_files() {
  manifest_.call_sid = config_.call_sid;
  manifest_.stream_sid = config_.stream_sid;
  manifest_.recording_id = config_.recording_id;
  manifest_.organization_id = config_.organization_id.empty() ? "unassigned" : config_.organization_id;
  manifest_.pipeline = config_.pipeline;
  manifest_.sample_rate = config_.rate;
  manifest_.layout = config_.layout == Layout::kStereo ? "stereo" : "per-track";
  manifest_.channels = channels_per_file(config_.layout);
  manifest_.tracks = {"caller", "agent"};
  manifest_.started_at = proto::format_iso8601_utc(std::chrono::system_clock::now());

  std::string why;
  auto path = proto::recording_path(config_.root, config_.path_template,
                                    {config_.organization_id, config_.call_sid, config_.stream_sid,
                                     config_.recording_id},
                                    &why);
  if (!path) {
    failed_ = true;
    if (callbacks_.failed) callbacks_.failed("bad-path", why, {});
    return;
  }
  const fs::path dir = path->parent_path();
  const std::string stem = path->stem().string();
  manifest_path_ = dir / (stem + ".json");
  if (config_.layout == Layout::kStereo) {
    wavs_ = {*path};
  } else {
    wavs_ = {dir / (stem + ".caller.wav"), dir / (stem + ".agent.wav")};
  }

  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) {
    failed_ = true;
    if (callbacks_.failed) callbacks_.failed("open-failed", "cannot create folder: " + ec.message(), {});
    return;
  }
  // Evidence is never overwritten: a recording id that already has files is refused.
  for (const auto& wav : wavs_) {
    if (fs::exists(wav, ec) || fs::exists(manifest_path_, ec)) {
      failed_ = true;
      if (callbacks_.failed) callbacks_.failed("exists", wav.filename().string() + " already exists", {});
      return;
    }
  }
  // The sidecar first: a crash after this point leaves enough for `mediaflow recover`.
  if (!proto::write_file_atomically(manifest_path_.string() + std::string(proto::kPartSuffix),
                                    proto::manifest_to_json(manifest_), &why)) {
    failed_ = true;
    if (callbacks_.failed) callbacks_.failed("open-failed", why, {});
    return;
  }
  const proto::WavFormat format{manifest_.channels, config_.rate, 16};
  const auto header = proto::make_wav_header(format, 0);
  for (std::size_t i = 0; i < wavs_.size(); ++i) {
    const std::string part = wavs_[i].string() + std::string(proto::kPartSuffix);
    fds_[i] = ::open(part.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    int err = errno;
    if (fds_[i] < 0 || !write_all(fds_[i], header.data(), header.size(), &err)) {
      fail_io("open-failed", err);
      return;
    }
  }
}

void RecordingWriter::apply(Item& item) {
  const int t = static_cast<int>(item.track);
  const std::uint64_t n = item.samples.size();
  if (n == 0) return;
  std::uint64_t pos;
  const std::int64_t tolerance = std::int64_t(config_.rate) * config_.align_tolerance_ms / 1000;
  if (item.position < 0 ||
      (has_data_[t] && std::llabs(item.position - static_cast<std::int64_t>(end_[t])) <= tolerance)) {
    pos = end_[t];
  } else {
    pos = static_cast<std::uint64_t>(item.position);
  }
  has_data_[t] = true;
  end_[t] = std::max(end_[t], pos + n);

  history_.push_back({std::chrono::steady_clock::now(), std::max(end_[0], end_[1])});

  // Staging never holds more than max_staging_ms: a jump far ahead (or a track racing ahead
  // of the other in an offline pipeline) writes out the oldest frames first.
  const std::uint64_t cap = std::uint64_t(config_.rate) * config_.max_staging_ms / 1000;
  if (pos + n > written_ + cap) commit_to(pos + n - cap);
  if (failed_) return;

  if (pos + n <= written_) {
    late_frames_ += n;
    return;
  }
  const std::uint64_t skip = pos < written_ ? written_ - pos : 0;
  late_frames_ += skip;
  const std::uint64_t at = pos + skip - written_;
  auto& s = staging_[t];
  if (s.size() < at + (n - skip)) s.resize(at + (n - skip), 0);
  std::copy(item.samples.begin() + static_cast<std::ptrdiff_t>(skip), item.samples.end(),
            s.begin() + static_cast<std::ptrdiff_t>(at));
}

// Everything both tracks have reached is written at once. Beyond that, the track that is ahead
// waits at most late_window_ms of wall-clock time for the other one (so a silent agent holds
// the caller back by that much, never longer); then its frames are written with silence
// where the other track has nothing.
void RecordingWriter::commit_ready(bool everything) {
  const std::uint64_t furthest = std::max(end_[0], end_[1]);
  std::uint64_t target = furthest;
  if (!everything) {
    const std::uint64_t known[2] = {ended_[0] ? UINT64_MAX : end_[0], ended_[1] ? UINT64_MAX : end_[1]};
    const auto cutoff = std::chrono::steady_clock::now() - std::chrono::milliseconds(config_.late_window_ms);
    while (!history_.empty() && history_.front().first <= cutoff) {
      aged_end_ = std::max(aged_end_, history_.front().second);
      history_.pop_front();
    }
    target = std::min(furthest, std::max(std::min(known[0], known[1]), aged_end_));
  }
  if (target > written_) commit_to(target);
}

bool RecordingWriter::has_staged() const { return std::max(end_[0], end_[1]) > written_; }

void RecordingWriter::commit_to(std::uint64_t target) {
  constexpr std::uint64_t kChunk = 4096;
  std::vector<std::int16_t> out;
  int err = 0;
  while (written_ < target && !failed_) {
    const std::uint64_t frames = std::min(kChunk, target - written_);
    // Track t's first `frames` samples into out[offset], out[offset + step], …; silence where
    // it has none.
    auto gather = [&](int t, std::size_t offset, std::size_t step) {
      const std::size_t have = static_cast<std::size_t>(std::min<std::uint64_t>(frames, staging_[t].size()));
      auto it = staging_[t].begin();
      std::size_t o = offset;
      for (std::size_t i = 0; i < have; ++i, o += step) out[o] = *it++;
      for (std::size_t i = have; i < frames; ++i, o += step) out[o] = 0;
    };
    bool ok = true;
    if (config_.layout == Layout::kStereo) {
      out.resize(frames * 2);
      gather(0, 0, 2);
      gather(1, 1, 2);
      ok = write_all(fds_[0], out.data(), out.size() * 2, &err);
    } else {
      out.resize(frames);
      for (int t = 0; t < 2 && ok; ++t) {
        gather(t, 0, 1);
        ok = write_all(fds_[t], out.data(), out.size() * 2, &err);
      }
    }
    if (!ok) {
      fail_io("write-failed", err);
      return;
    }
    for (auto& s : staging_) s.erase(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(std::min<std::uint64_t>(frames, s.size())));
    written_ += frames;
    frames_since_patch_ += frames;
  }
  // Keep the header true at least every second of audio, so a crash loses little even
  // before `mediaflow recover` runs.
  if (frames_since_patch_ >= config_.rate) patch_headers();
}

void RecordingWriter::patch_headers() {
  frames_since_patch_ = 0;
  const proto::WavFormat format{manifest_.channels, config_.rate, 16};
  const auto header = proto::make_wav_header(format, written_ * format.block_align());
  for (int fd : fds_) {
    if (fd < 0) continue;
    if (::pwrite(fd, header.data(), header.size(), 0) != static_cast<ssize_t>(header.size())) {
      fail_io("write-failed", errno);
      return;
    }
  }
}

void RecordingWriter::close_fds() {
  for (int& fd : fds_) {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
}

// Disk full or I/O error: keep what reached the disk as a playable WAV (header patched to the
// data actually there), tell the element, and discard the rest of the call's audio.
void RecordingWriter::fail_io(const std::string& reason, int err) {
  failed_ = true;
  close_fds();
  manifest_.truncated = true;
  RecordingResult kept;
  std::string ignored;  // the manifest likely fails too on a full disk: the sidecar stays
  finish_files(&kept, &ignored);
  if (callbacks_.failed)
    callbacks_.failed(reason, std::strerror(err), kept.wav_paths.empty() ? fs::path() : kept.wav_paths.front());
}

// Turns the .part files into WAVs and writes the manifest. False with *why when a step failed;
// result->wav_paths holds the WAVs that were finalised either way.
bool RecordingWriter::finish_files(RecordingResult* result, std::string* why) {
  result->manifest_path = manifest_path_;
  manifest_.complete = true;
  manifest_.dropped_buffers = dropped_blocks();
  {
    std::lock_guard lock(mutex_);
    manifest_.agent_audio = agent_audio_;
  }
  manifest_.bytes = 0;
  manifest_.files.clear();
  for (std::size_t i = 0; i < wavs_.size(); ++i) {
    const fs::path part = wavs_[i].string() + std::string(proto::kPartSuffix);
    std::error_code ec;
    if (!fs::exists(part, ec)) return false;  // never opened
    auto done = proto::finalize_wav_part(part, {manifest_.channels, config_.rate, 16}, why);
    if (!done) return false;
    const std::string track = wavs_.size() == 1 ? "caller+agent" : (i == 0 ? "caller" : "agent");
    manifest_.files.push_back({done->path.filename().string(), track, done->file_bytes, done->sha256});
    manifest_.bytes += done->file_bytes;
    if (i == 0) {
      manifest_.sha256 = done->sha256;
      manifest_.duration_seconds = double(done->data_bytes / done->format.block_align()) / double(config_.rate);
    }
    result->wav_paths.push_back(done->path);
  }
  if (!proto::write_file_atomically(manifest_path_, proto::manifest_to_json(manifest_), why)) return false;
  std::error_code ec;
  fs::remove(manifest_path_.string() + std::string(proto::kPartSuffix), ec);
  proto::sync_directory(manifest_path_.parent_path());
  result->manifest = manifest_;
  return true;
}

void RecordingWriter::finalize(bool both_ended) {
  if (!failed_ && !wavs_.empty()) {
    commit_ready(true);
    if (!failed_) patch_headers();
    for (int fd : fds_) {
      if (!failed_ && fd >= 0 && ::fsync(fd) != 0) fail_io("write-failed", errno);
    }
  }
  close_fds();
  if (!failed_ && !wavs_.empty()) {
    RecordingResult result;
    std::string why;
    if (finish_files(&result, &why)) {
      if (callbacks_.complete) callbacks_.complete(result);
    } else {
      failed_ = true;
      if (callbacks_.failed)
        callbacks_.failed("write-failed", why, result.wav_paths.empty() ? fs::path() : result.wav_paths.front());
    }
  }
  if (callbacks_.finished) callbacks_.finished(both_ended);
}

}  // namespace mediaflow::recorder
