// Where a call's evidence goes in object storage: RECORDINGS_BUCKET=s3://BUCKET[/PREFIX] and
// keys that mirror the disk layout below RECORDINGS_DIR under PREFIX (docs/evidence.md).
// Plain C++, no I/O.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace mediaflow::evidence {

struct BucketLocation {
  std::string bucket;
  std::string prefix;  // without leading/trailing '/', may be empty
};

// "s3://bucket", "s3://bucket/a/b/" → {bucket, "a/b"}. nullopt with *error on anything else
// (other scheme, empty or invalid bucket name, empty path segment).
std::optional<BucketLocation> parse_bucket_url(std::string_view url, std::string* error = nullptr);

// The key of `file` (inside `recordings_root`): PREFIX/relative/path. nullopt when the file
// is not inside the root.
std::optional<std::string> object_key(const BucketLocation& where, const std::filesystem::path& recordings_root,
                                      const std::filesystem::path& file);

// Percent-encodes a key for the request path (RFC 3986 unreserved kept, '/' kept): the form
// S3 expects in the canonical URI, encoded exactly once.
std::string encode_key_for_path(std::string_view key);
// Percent-encodes a query value (everything but unreserved).
std::string encode_query_value(std::string_view value);

}  // namespace mediaflow::evidence
