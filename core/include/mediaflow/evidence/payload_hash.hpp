// SHA-256 of request payloads (OpenSSL: the CPU's SHA extensions), in the forms S3 wants:
// lowercase hex for x-amz-content-sha256, base64 for x-amz-checksum-sha256.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace mediaflow::evidence {

std::string sha256_hex(std::string_view data);
// Of the file's bytes [offset, offset+length); nullopt when it cannot be read that far.
std::optional<std::string> sha256_hex_of_range(const std::string& path, std::uint64_t offset, std::uint64_t length);
std::string hex_to_base64(const std::string& hex);

}  // namespace mediaflow::evidence
