// The vendor server's answer to our WebSocket upgrade request (net::parse_upgrade_answer): a
// hostile or broken vendor endpoint controls every byte of it. An answer is accepted only as a
// 101 that carries the accept value our key asked for.
#include "fuzz_check.hpp"

#include <mediaflow/net/websocket_upgrade.hpp>

#include <strings.h>

#include <cstdint>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // RFC 6455 §1.3's example key; its accept value is s3pPLMBiTxaQ9kYGzzhZRbK+xOo=.
  static const std::string expected_accept = mediaflow::net::websocket_accept("dGhlIHNhbXBsZSBub25jZQ==");
  const std::string_view head(reinterpret_cast<const char*>(data), size);
  const mediaflow::net::UpgradeAnswer answer = mediaflow::net::parse_upgrade_answer(head, expected_accept);
  if (!answer.ok) {
    FUZZ_CHECK(!answer.problem.empty(), "refused without saying why");
    return 0;
  }
  FUZZ_CHECK(answer.status == 101, "accepted an answer that is not 101");
  bool accept_seen = false;
  for (const auto& [name, value] : answer.headers) {
    if (strcasecmp(name.c_str(), "Sec-WebSocket-Accept") == 0 && value == expected_accept) accept_seen = true;
  }
  FUZZ_CHECK(accept_seen, "accepted an answer without our Sec-WebSocket-Accept");
  return 0;
}
