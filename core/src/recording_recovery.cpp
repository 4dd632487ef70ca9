#include <mediaflow/recording_recovery.hpp>

#include <mediaflow/protocol/recording_io.hpp>
#include <mediaflow/protocol/recording_manifest.hpp>
#include <mediaflow/protocol/wav_header.hpp>

#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <vector>

namespace mediaflow {
namespace fs = std::filesystem;
namespace proto = mediaflow::protocol;
namespace {

constexpr std::string_view kWavPart = ".wav.part";
constexpr std::string_view kJsonPart = ".json.part";

bool ends_with(const std::string& s, std::string_view suffix) { return s.ends_with(suffix); }
std::string strip(const std::string& s, std::string_view suffix) { return s.substr(0, s.size() - suffix.size()); }

std::optional<std::string> read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A recording: its folder and stem ({recording_id} for the default template).
using Key = std::pair<fs::path, std::string>;

struct FileResult {
  fs::path wav;
  std::uint64_t file_bytes = 0;
  std::uint64_t data_bytes = 0;
  proto::WavFormat format;
  std::string sha256;
};

// A WAV that is already whole (renamed before the crash): read what the manifest needs.
std::optional<FileResult> describe_wav(const fs::path& wav, std::string* why) {
  std::ifstream in(wav, std::ios::binary);
  std::vector<std::uint8_t> head(4096);
  in.read(reinterpret_cast<char*>(head.data()), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<std::size_t>(in.gcount()));
  std::error_code ec;
  const std::uint64_t size = fs::file_size(wav, ec);
  if (!in.good() && !in.eof()) {
    *why = "cannot read " + wav.filename().string();
    return std::nullopt;
  }
  auto info = proto::parse_wav_header(head, why);
  if (!info) return std::nullopt;
  auto sha = proto::sha256_file(wav, why);
  if (!sha) return std::nullopt;
  return FileResult{wav, size, size - std::min<std::uint64_t>(size, info->data_offset), info->format, *sha};
}

void recover_one(const Key& key, RecoveryReport& report) {
  const auto& [dir, stem] = key;
  const fs::path sidecar = dir / (stem + std::string(kJsonPart));
  const fs::path manifest_path = dir / (stem + ".json");
  auto fail = [&](const fs::path& file, std::string reason) { report.failures.push_back({file, std::move(reason)}); };

  proto::RecordingManifest m;
  bool had_sidecar = false;
  std::error_code ec;
  if (fs::exists(sidecar, ec)) {
    std::string why;
    auto text = read_text(sidecar);
    auto parsed = text ? proto::manifest_from_json(*text, &why) : std::nullopt;
    if (!parsed) {
      fail(sidecar, "unreadable sidecar: " + (text ? why : std::string("cannot read")));
      return;
    }
    m = *parsed;
    had_sidecar = true;
  } else {
    m.recording_id = stem;
  }
  if (fs::exists(manifest_path, ec)) {
    fail(manifest_path, "a manifest already exists; leaving the files as they are");
    return;
  }
  const bool per_track = m.layout == "per-track" || fs::exists(dir / (stem + ".caller.wav.part"), ec) ||
                         fs::exists(dir / (stem + ".agent.wav.part"), ec);
  if (per_track) {
    m.layout = "per-track";
    m.channels = 1;
  }
  const proto::WavFormat fallback{m.channels, m.sample_rate, 16};
  std::vector<std::pair<std::string, fs::path>> wavs;
  if (per_track)
    wavs = {{"caller", dir / (stem + ".caller.wav")}, {"agent", dir / (stem + ".agent.wav")}};
  else
    wavs = {{"caller+agent", dir / (stem + ".wav")}};

  m.complete = true;
  m.recovered = true;
  m.files.clear();
  m.bytes = 0;
  RecoveredRecording done;
  for (const auto& [track, wav] : wavs) {
    const fs::path part = wav.string() + std::string(proto::kPartSuffix);
    std::string why;
    std::optional<FileResult> r;
    if (fs::exists(part, ec)) {
      if (fs::exists(wav, ec)) {
        fail(part, wav.filename().string() + " already exists; not overwriting it");
        return;
      }
      auto f = proto::finalize_wav_part(part, fallback, &why);
      if (f) r = FileResult{f->path, f->file_bytes, f->data_bytes, f->format, f->sha256};
      else {
        fail(part, why);
        return;
      }
    } else if (fs::exists(wav, ec)) {
      r = describe_wav(wav, &why);
      if (!r) {
        fail(wav, why);
        return;
      }
    } else {
      continue;  // per-track: this track's file never got created
    }
    if (m.files.empty()) {
      m.sha256 = r->sha256;
      m.sample_rate = r->format.sample_rate;
      m.channels = r->format.channels;
      m.duration_seconds = double(r->data_bytes / r->format.block_align()) / double(r->format.sample_rate);
    }
    m.files.push_back({r->wav.filename().string(), track, r->file_bytes, r->sha256});
    m.bytes += r->file_bytes;
    done.wavs.push_back(r->wav);
  }
  if (m.files.empty()) {
    fail(sidecar, "no audio file for this recording");
    return;
  }
  std::string why;
  if (!proto::write_file_atomically(manifest_path, proto::manifest_to_json(m), &why)) {
    fail(manifest_path, why);
    return;
  }
  fs::remove(sidecar, ec);
  proto::sync_directory(dir);
  done.recording_id = m.recording_id;
  done.call_sid = m.call_sid;
  done.organization_id = m.organization_id;
  done.manifest = manifest_path;
  done.duration_seconds = m.duration_seconds;
  done.had_sidecar = had_sidecar;
  report.recovered.push_back(std::move(done));
}

}  // namespace

RecoveryReport recover_recordings(const fs::path& root) {
  RecoveryReport report;
  std::error_code ec;
  if (!fs::is_directory(root, ec)) {
    report.failures.push_back({root, "not a folder"});
    return report;
  }
  std::map<Key, bool> found;  // sorted: stable output
  fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    const std::string name = it->path().filename().string();
    std::string stem;
    if (ends_with(name, kWavPart)) {
      stem = strip(name, kWavPart);
      for (std::string_view track : {".caller", ".agent"})
        if (ends_with(stem, track)) stem = strip(stem, track);
    } else if (ends_with(name, kJsonPart)) {
      stem = strip(name, kJsonPart);
    } else {
      continue;
    }
    if (!stem.empty()) found[{it->path().parent_path(), stem}] = true;
  }
  if (ec) report.failures.push_back({root, "cannot walk the folder: " + ec.message()});
  for (const auto& [key, _] : found) recover_one(key, report);
  return report;
}

}  // namespace mediaflow
