#include <mediaflow/evidence/object_layout.hpp>

#include <mediaflow/protocol/recording_path.hpp>

namespace mediaflow::evidence {
namespace {

// S3's bucket naming rules (the portable subset): 3-63 of [a-z0-9.-], starting and ending
// with a letter or digit.
bool valid_bucket_name(std::string_view b) {
  if (b.size() < 3 || b.size() > 63) return false;
  for (char c : b)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-')) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  return alnum(b.front()) && alnum(b.back());
}

bool unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '~';
}

std::string percent_encode(std::string_view s, bool keep_slash) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (unsigned char c : s) {
    if (unreserved(c) || (keep_slash && c == '/')) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

}  // namespace

std::optional<BucketLocation> parse_bucket_url(std::string_view url, std::string* error) {
  auto fail = [&](std::string why) -> std::optional<BucketLocation> {
    if (error) *error = std::move(why);
    return std::nullopt;
  };
  constexpr std::string_view kScheme = "s3://";
  if (!url.starts_with(kScheme)) return fail("expected s3://BUCKET[/PREFIX]");
  url.remove_prefix(kScheme.size());
  const auto slash = url.find('/');
  BucketLocation loc;
  loc.bucket = std::string(url.substr(0, slash));
  if (!valid_bucket_name(loc.bucket))
    return fail("bucket name '" + loc.bucket + "' is not valid (3-63 of a-z 0-9 . -)");
  if (slash == std::string_view::npos) return loc;
  std::string_view prefix = url.substr(slash + 1);
  while (!prefix.empty() && prefix.back() == '/') prefix.remove_suffix(1);
  std::size_t start = 0;
  while (start <= prefix.size() && !prefix.empty()) {
    const auto end = prefix.find('/', start);
    const auto segment = prefix.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (segment.empty() || segment == "." || segment == "..")
      return fail("prefix '" + std::string(prefix) + "' has an empty, '.' or '..' segment");
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  loc.prefix = std::string(prefix);
  return loc;
}

std::optional<std::string> object_key(const BucketLocation& where, const std::filesystem::path& recordings_root,
                                      const std::filesystem::path& file) {
  if (!protocol::path_is_inside(recordings_root, file)) return std::nullopt;
  const auto relative = std::filesystem::weakly_canonical(file).lexically_relative(
      std::filesystem::weakly_canonical(recordings_root));
  const std::string rel = relative.generic_string();
  if (rel.empty() || rel.starts_with("..")) return std::nullopt;
  return where.prefix.empty() ? rel : where.prefix + "/" + rel;
}

std::string encode_key_for_path(std::string_view key) { return percent_encode(key, true); }
std::string encode_query_value(std::string_view value) { return percent_encode(value, false); }

}  // namespace mediaflow::evidence
