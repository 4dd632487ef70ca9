// Recording manifests and their `.json.part` sidecars as `mediaflow recover` and the evidence
// tooling read them back (protocol::manifest_from_json): files on disk that a crash may have
// cut or anyone with access to the recordings folder may have edited. Property: what was read
// is written and read back to the same document.
#include "fuzz_check.hpp"

#include <mediaflow/protocol/recording_manifest.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace proto = mediaflow::protocol;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string error;
  const auto manifest = proto::manifest_from_json(text, &error);
  if (!manifest) {
    FUZZ_CHECK(!error.empty(), "refused without saying why");
    return 0;
  }
  const std::string written = proto::manifest_to_json(*manifest);
  const auto reread = proto::manifest_from_json(written, &error);
  FUZZ_CHECK(reread.has_value(), "a manifest we wrote cannot be read back");
  FUZZ_CHECK(proto::manifest_to_json(*reread) == written, "a manifest changes when written and read back");
  return 0;
}
