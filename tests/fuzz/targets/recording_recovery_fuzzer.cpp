// `mediaflow recover` on what a crash left behind: a torn `{id}.wav.part` (any bytes: the
// header may be missing, cut or stale) and maybe its `{id}.json.part` sidecar, written into a
// scratch folder (on /dev/shm when there is one: recovery fsyncs). The WAV header parser sees
// the bytes directly too. Properties: a recovered WAV parses, its header's data size is what
// the file holds and a whole number of frames, and the manifest written beside it reads back.
// Input: a flag byte (bit 0: a sidecar, bit 1: per-track names), the sidecar text, the WAV bytes.
#include "fuzz_check.hpp"

#include <mediaflow/protocol/recording_manifest.hpp>
#include <mediaflow/protocol/wav_header.hpp>
#include <mediaflow/recording_recovery.hpp>

#include <fuzzer/FuzzedDataProvider.h>

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace fs = std::filesystem;
namespace proto = mediaflow::protocol;

namespace {

fs::path scratch_root() {
  static const fs::path root = [] {
    const fs::path base = fs::is_directory("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path();
    return base / ("mediaflow-fuzz-recovery-" + std::to_string(::getpid()));
  }();
  return root;
}

void write_file(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void check_recovered_wav(const fs::path& wav) {
  const std::string bytes = read_file(wav);
  const std::vector<std::uint8_t> head(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(std::min<std::size_t>(bytes.size(), 4096)));
  std::string why;
  const auto info = proto::parse_wav_header(head, &why);
  FUZZ_CHECK(info.has_value(), "a recovered WAV does not parse");
  FUZZ_CHECK(info->data_offset <= bytes.size(), "a recovered WAV's data starts past its end");
  const std::uint64_t held = bytes.size() - info->data_offset;
  FUZZ_CHECK(info->declared_data_bytes == held, "a recovered WAV's header does not give its data size");
  const std::uint16_t align = info->format.block_align();
  FUZZ_CHECK(align > 0 && held % align == 0, "a recovered WAV ends inside a frame");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  (void)proto::parse_wav_header(std::span<const std::uint8_t>(data, size));

  FuzzedDataProvider input(data, size);
  const std::uint8_t flags = input.ConsumeIntegral<std::uint8_t>();
  const std::string sidecar = input.ConsumeRandomLengthString(2048);
  const std::string wav = input.ConsumeRemainingBytesAsString();

  const fs::path dir = scratch_root();
  std::error_code ec;
  fs::remove_all(dir, ec);
  fs::create_directories(dir);
  const std::string stem = "CA0123456789abcdef0123456789abcdef-20240501T120000Z";
  if (flags & 1) write_file(dir / (stem + ".json.part"), sidecar);
  write_file(dir / (stem + ((flags & 2) ? ".caller.wav.part" : ".wav.part")), wav);

  const mediaflow::RecoveryReport report = mediaflow::recover_recordings(dir);
  FUZZ_CHECK(report.recovered.size() + report.failures.size() >= 1, "a torn recording neither recovered nor reported");
  for (const auto& done : report.recovered) {
    for (const auto& w : done.wavs) check_recovered_wav(w);
    std::string why;
    FUZZ_CHECK(proto::manifest_from_json(read_file(done.manifest), &why).has_value(), "a written manifest does not read back");
  }
  fs::remove_all(dir, ec);
  return 0;
}
