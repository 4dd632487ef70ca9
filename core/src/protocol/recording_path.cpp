#include <mediaflow/protocol/recording_path.hpp>

#include <glib.h>

namespace mediaflow::protocol {
namespace fs = std::filesystem;
namespace {

bool is_safe_ascii(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.';
}

// Length of the UTF-8 sequence starting with `lead` (1 for stray continuation/invalid bytes),
// so one non-ASCII character becomes one '_'.
std::size_t utf8_length(unsigned char lead) {
  if (lead >= 0xF0 && lead <= 0xF4) return 4;
  if (lead >= 0xE0) return lead <= 0xEF ? 3 : 1;
  if (lead >= 0xC2) return 2;
  return 1;
}

std::string digest8(std::string_view v) {
  gchar* hex = g_compute_checksum_for_data(G_CHECKSUM_SHA256,
                                           reinterpret_cast<const guchar*>(v.data()), v.size());
  std::string out(hex, 8);
  g_free(hex);
  return out;
}

std::string fallback_or(std::string_view v, std::string_view fallback) {
  return sanitize_path_component(v, fallback);
}

}  // namespace

std::string sanitize_path_component(std::string_view value, std::string_view fallback) {
  std::string out;
  out.reserve(std::min(value.size(), kMaxPathComponentLength * 2));
  for (std::size_t i = 0; i < value.size();) {
    const auto c = static_cast<unsigned char>(value[i]);
    if (c < 0x80) {
      // A run of dots collapses to one, so no component ever holds "..".
      if (c == '.' && !out.empty() && out.back() == '.') {
        ++i;
        continue;
      }
      out.push_back(is_safe_ascii(c) ? static_cast<char>(c) : '_');
      ++i;
      continue;
    }
    std::size_t n = utf8_length(c);
    // Only swallow real continuation bytes; an invalid sequence costs one byte at a time.
    std::size_t k = 1;
    while (k < n && i + k < value.size() && (static_cast<unsigned char>(value[i + k]) & 0xC0) == 0x80) ++k;
    out.push_back('_');
    i += k;
  }
  const auto first = out.find_first_not_of('.');
  out.erase(0, first == std::string::npos ? out.size() : first);
  if (out.empty()) {
    if (fallback.empty() || fallback == value) return "unknown";
    return sanitize_path_component(fallback, "unknown");
  }
  if (out.size() > kMaxPathComponentLength) {
    out.resize(kMaxPathComponentLength - 9);
    out += "-" + digest8(value);
  }
  return out;
}

bool path_is_inside(const fs::path& root, const fs::path& path) {
  const fs::path r = fs::absolute(root).lexically_normal();
  const fs::path p = fs::absolute(path).lexically_normal();
  auto ri = r.begin(), pi = p.begin();
  for (; ri != r.end(); ++ri, ++pi) {
    if (ri->empty()) continue;  // trailing separator of a directory root
    if (pi == p.end() || *ri != *pi) return false;
  }
  for (; pi != p.end(); ++pi)
    if (*pi == "..") return false;
  return true;
}

std::optional<fs::path> recording_path(const fs::path& root, std::string_view tmpl,
                                       const RecordingPathValues& values, std::string* error) {
  auto fail = [&](std::string why) -> std::optional<fs::path> {
    if (error) *error = std::move(why);
    return std::nullopt;
  };
  if (tmpl.empty()) return fail("path template is empty");
  if (tmpl.front() == '/' || tmpl.front() == '\\') return fail("path template must be relative");
  if (tmpl.size() < 4 || tmpl.substr(tmpl.size() - 4) != ".wav")
    return fail("path template must end in .wav");
  if (tmpl.find("{recording_id}") == std::string_view::npos)
    return fail("path template must contain {recording_id}");

  std::string filled;
  for (std::size_t i = 0; i < tmpl.size();) {
    if (tmpl[i] != '{') {
      filled.push_back(tmpl[i] == '\\' ? '/' : tmpl[i]);
      ++i;
      continue;
    }
    const auto close = tmpl.find('}', i);
    if (close == std::string_view::npos) return fail("unterminated '{' in path template");
    const std::string_view name = tmpl.substr(i + 1, close - i - 1);
    if (name == "organization_id")
      filled += fallback_or(values.organization_id, "unassigned");
    else if (name == "call_sid")
      filled += fallback_or(values.call_sid, "unknown");
    else if (name == "stream_sid")
      filled += fallback_or(values.stream_sid, "unknown");
    else if (name == "recording_id")
      filled += fallback_or(values.recording_id, "unknown");
    else
      return fail("unknown placeholder {" + std::string(name) + "} in path template");
    i = close + 1;
  }
  for (const auto& part : fs::path(filled))
    if (part == "..") return fail("path template must not contain '..'");

  fs::path result = (root / filled).lexically_normal();
  if (!path_is_inside(root, result)) return fail("recording path escapes the recordings root");
  return result;
}

}  // namespace mediaflow::protocol
