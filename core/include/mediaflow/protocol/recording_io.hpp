// Durable file operations shared by the recorder element and crash recovery (plain POSIX,
// no GStreamer): a recording is written as `<name>.wav.part` with a valid header kept up to
// date, and is finalised — by the element at the end of a call, or by `mediaflow recover`
// after a crash — with the same function.
#pragma once

#include <mediaflow/protocol/wav_header.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace mediaflow::protocol {

inline constexpr std::string_view kPartSuffix = ".part";

// Lowercase hex SHA-256 of a file's content; nullopt with *error if it cannot be read.
std::optional<std::string> sha256_file(const std::filesystem::path& path, std::string* error = nullptr);

// Writes `content` to `<path>.tmp`, fsyncs, renames over `path` and fsyncs the folder, so a
// reader sees the old file or the whole new one, never half of it.
bool write_file_atomically(const std::filesystem::path& path, std::string_view content,
                           std::string* error = nullptr);

// fsync of a folder (makes a rename inside it durable). Best effort.
void sync_directory(const std::filesystem::path& dir);

struct FinalizedWav {
  std::filesystem::path path;  // the final `.wav`
  WavFormat format;
  std::uint64_t data_bytes = 0;
  std::uint64_t file_bytes = 0;
  std::string sha256;
  bool had_partial_frame = false;  // a torn last frame was cut off
};

// Makes `<name>.wav.part` a whole `<name>.wav`: reads its header (or, if the file is too
// short to hold one, writes a fresh header in `fallback` format), cuts the data to whole
// frames, sets the RIFF and data sizes from the file length, fsyncs, renames (dropping
// `.part`), fsyncs the folder and hashes the result.
std::optional<FinalizedWav> finalize_wav_part(const std::filesystem::path& part,
                                             const WavFormat& fallback, std::string* error = nullptr);

}  // namespace mediaflow::protocol
