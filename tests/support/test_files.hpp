// Files in tests: a self-removing temp folder, reading a file, reading a WAV back with its
// header checked against the file, finding files by suffix.
#pragma once

#include <mediaflow/protocol/wav_header.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <span>
#include <sstream>
#include <string>
#include <vector>

namespace mediaflow::test {
namespace fs = std::filesystem;

struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "mediaflow-test-XXXXXX").string();
    path = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  fs::path operator/(const std::string& name) const { return path / name; }
  // Writes `text` to a file of this folder; returns its path.
  fs::path write(const std::string& name, const std::string& text) const {
    std::ofstream(path / name, std::ios::binary) << text;
    return path / name;
  }
};

inline std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Wav {
  protocol::WavInfo info;
  std::vector<std::int16_t> samples;  // interleaved
  std::size_t frames() const { return samples.size() / info.format.channels; }
  double seconds() const { return double(frames()) / info.format.sample_rate; }
  std::int16_t at(std::size_t frame, int channel) const { return samples[frame * info.format.channels + channel]; }
};

// Reads a WAV and checks its header agrees with the file: sizes in the header equal what is on
// disk, whole frames only.
inline Wav read_wav(const fs::path& p) {
  const std::string bytes = slurp(p);
  Wav w;
  std::string why;
  auto info = protocol::parse_wav_header(
      std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()), &why);
  EXPECT_TRUE(info) << p << ": " << why;
  if (!info) return w;
  w.info = *info;
  EXPECT_EQ(info->declared_data_bytes, bytes.size() - info->data_offset) << p;
  EXPECT_EQ((bytes.size() - info->data_offset) % info->format.block_align(), 0u) << p;
  w.samples.resize((bytes.size() - info->data_offset) / 2);
  if (!w.samples.empty()) std::memcpy(w.samples.data(), bytes.data() + info->data_offset, w.samples.size() * 2);
  return w;
}

// Every file below `root` whose name ends with `suffix`.
inline std::vector<fs::path> files_ending(const fs::path& root, const std::string& suffix) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(root, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec))
    if (it->is_regular_file() && it->path().string().ends_with(suffix)) out.push_back(it->path());
  return out;
}

}  // namespace mediaflow::test
