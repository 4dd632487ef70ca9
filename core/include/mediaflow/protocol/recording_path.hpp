// Where a recording lives: RECORDINGS_DIR + a template such as
// `org/{organization_id}/recordings/{call_sid}/{recording_id}.wav`. Every value put into the
// template is sanitised into one safe path component, so a hostile identifier is cleaned and
// stays inside the root; it is never refused.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace mediaflow::protocol {

inline constexpr std::string_view kDefaultRecordingPathTemplate =
    "org/{organization_id}/recordings/{call_sid}/{recording_id}.wav";
inline constexpr std::size_t kMaxPathComponentLength = 64;

// One safe path component: ASCII letters, digits, '-', '_' and '.' are kept, any other byte
// (each UTF-8 character as a whole) becomes '_'; runs of dots collapse to one and leading dots
// are dropped (no `.`/`..`, no hidden files). Longer than kMaxPathComponentLength: cut, and an 8-hex digest of the whole
// value appended so distinct long values stay distinct. Empty after cleaning: `fallback`.
std::string sanitize_path_component(std::string_view value, std::string_view fallback);

struct RecordingPathValues {
  std::string organization_id;  // empty → "unassigned"
  std::string call_sid;         // empty → "unknown"
  std::string stream_sid;       // empty → "unknown"
  std::string recording_id;     // empty → "unknown"
};

// root / template with {organization_id} {call_sid} {stream_sid} {recording_id} filled in
// (sanitised). The template is configuration: it must be relative, end in `.wav`, hold no
// `..`, only known placeholders, and include {recording_id}; otherwise nullopt with *error.
// The result is lexically normalised and verified to lie inside `root`.
std::optional<std::filesystem::path> recording_path(const std::filesystem::path& root,
                                                    std::string_view path_template,
                                                    const RecordingPathValues& values,
                                                    std::string* error = nullptr);

// True when `path` (after lexical normalisation, both made absolute) is `root` or below it.
bool path_is_inside(const std::filesystem::path& root, const std::filesystem::path& path);

}  // namespace mediaflow::protocol
