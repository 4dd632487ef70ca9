// The media WebSocket's JWT check (protocol::verify_hs256). Besides not crashing, it must hold
// the one property that makes it an authentication: it never accepts a token whose HMAC was
// not made with the secret. The input picks a way to build the token (its last byte):
//   0: the raw input is the token;
//   1: header and payload from the input, signed with the secret (reaches the claim checks);
//   2: the same, signed with another key taken from the input: must be refused;
//   3: a token signed with the secret, followed by the rest of the input.
// Whenever a token is accepted, its signature segment must be exactly the HMAC-SHA256 under the
// secret of the two segments before it.
#include "fuzz_check.hpp"

#include "auth/jwt_forge.hpp"

#include <mediaflow/protocol/jwt.hpp>

#include <fuzzer/FuzzedDataProvider.h>

#include <algorithm>
#include <cstdint>
#include <string>

namespace proto = mediaflow::protocol;
using mediaflow::test::b64url;
using mediaflow::test::forge_jwt;
using mediaflow::test::hmac_raw;

namespace {

constexpr std::string_view kSecret = "fuzzing-secret-0123456789";
constexpr std::int64_t kNow = 1'700'000'000;

// The signature segment is the canonical base64url HMAC of what precedes it, under the secret.
bool signed_with_secret(const std::string& token) {
  const auto last_dot = token.rfind('.');
  if (last_dot == std::string::npos) return false;
  const std::string signing_input = token.substr(0, last_dot);
  if (std::count(signing_input.begin(), signing_input.end(), '.') != 1) return false;
  return token.substr(last_dot + 1) == b64url(hmac_raw(G_CHECKSUM_SHA256, kSecret, signing_input));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider input(data, size);
  const int mode = input.ConsumeIntegralInRange(0, 3);
  std::string token;
  bool must_refuse = false;
  if (mode == 0) {
    token = input.ConsumeRemainingBytesAsString();
  } else {
    const std::string header = input.ConsumeRandomLengthString(256);
    const std::string payload = input.ConsumeRandomLengthString(512);
    if (mode == 2) {
      std::string other_key = input.ConsumeRemainingBytesAsString();
      if (other_key == kSecret) other_key += "!";
      token = forge_jwt(header, payload, other_key);
      must_refuse = true;
    } else {
      token = forge_jwt(header, payload, kSecret);
      if (mode == 3) token += input.ConsumeRemainingBytesAsString();
    }
  }

  const proto::JwtStatus status = proto::verify_hs256(token, kSecret, kNow);
  FUZZ_CHECK(!proto::to_string(status).empty(), "status without a name");
  if (status != proto::JwtStatus::ok) return 0;
  FUZZ_CHECK(!must_refuse, "accepted a token signed with another key");
#ifdef MEDIAFLOW_FUZZ_PENDING_JWT_NUL
  // TODO(issue 16): known finding fixed on the findings branch (verify_hs256 hands libjwt a C
  // string, so a valid token followed by NUL and anything is accepted). Tolerated here until
  // that fix is merged; tests/fuzz/CMakeLists.txt turns this off.
  if (token.find('\0') != std::string::npos) token.resize(token.find('\0'));
#endif
  FUZZ_CHECK(signed_with_secret(token), "accepted a token whose signature is not the secret's HMAC");
  FUZZ_CHECK(proto::verify_hs256(token, "another-secret", kNow) != proto::JwtStatus::ok,
             "a token verifies under two secrets");
  return 0;
}
