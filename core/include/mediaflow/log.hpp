// Structured logs: one JSON object per line on stderr,
//   {"ts":"2024-05-01T12:00:00.123Z","level":"info","event":"call_started","call":"CA~1a2b3c",...}
// Level from LOG_LEVEL (debug|info|warn|error, default info). Thread-safe: each line is built
// first and written with one write() under a lock, so lines never interleave.
//
// No PHI or secrets: call SIDs go through log::call_id() (always redacted with
// protocol::redact_sid). As a second line of defence, every string value is scanned and any
// Twilio-style SID in it ("CA"/"MZ"/"AC"… + 32 hex) is replaced by its redacted form, so are the
// credentials of any URL in it (protocol::redact_url_credentials: a bus error that quotes a
// signed URL or user:password@), and the
// values of SID-like keys (call, call_sid, stream_sid, account_sid, …) and secret-like keys
// (token, secret, authorization, signature, api_key, password) are redacted whatever their type.
// Never pass audio, transcripts or agent text as a field.
//
//   log::info("call_started", {{"call", log::call_id(sid)}, {"pipeline", name}});
#pragma once

#include <concepts>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace mediaflow::log {

enum class Level { debug = 0, info = 1, warn = 2, error = 3 };
std::optional<Level> parse_level(std::string_view name);
std::string_view to_string(Level level);

// The threshold; lazily read from LOG_LEVEL on first use (an invalid value means info and is
// reported once with a warn line).
Level level();
void set_level(Level level);
// (Re)reads LOG_LEVEL now; the host calls it at startup (level() does it lazily otherwise).
void init_from_env();
bool enabled(Level level);

// A call (or stream/account) SID as it may appear in a log line: always redacted.
class CallId {
 public:
  explicit CallId(std::string_view raw_sid);
  const std::string& redacted() const { return redacted_; }

 private:
  std::string redacted_;
};
inline CallId call_id(std::string_view raw_sid) { return CallId(raw_sid); }

class Value {
 public:
  Value(std::nullptr_t) : v_(std::monostate{}) {}
  Value(bool b) : v_(b) {}
  template <std::signed_integral T>
    requires(!std::same_as<T, bool>)
  Value(T i) : v_(static_cast<std::int64_t>(i)) {}
  template <std::unsigned_integral T>
    requires(!std::same_as<T, bool>)
  Value(T u) : v_(static_cast<std::uint64_t>(u)) {}
  Value(double d) : v_(d) {}
  Value(float f) : v_(static_cast<double>(f)) {}
  Value(const char* s) : v_(std::string_view(s != nullptr ? s : "")) {}
  Value(std::string_view s) : v_(s) {}
  Value(const std::string& s) : v_(std::string_view(s)) {}
  Value(CallId id) : v_(Redacted{std::move(id).redacted()}) {}

  struct Redacted {
    std::string text;
  };
  using Variant = std::variant<std::monostate, bool, std::int64_t, std::uint64_t, double,
                               std::string_view, Redacted>;
  const Variant& get() const { return v_; }

 private:
  Variant v_;
};

struct Field {
  std::string_view key;
  Value value;
};
using Fields = std::initializer_list<Field>;

// This process's INSTANCE_ID (one host of a fleet), added to every line as "instance" once set.
// Set once at start, before other threads log.
void set_instance(std::string id);

// Formats one line (with trailing '\n') at time `unix_ms`; exposed for tests.
std::string format_line(Level level, std::string_view event, Fields fields, std::int64_t unix_ms);

void write(Level level, std::string_view event, Fields fields = {});
inline void debug(std::string_view event, Fields fields = {}) { write(Level::debug, event, fields); }
inline void info(std::string_view event, Fields fields = {}) { write(Level::info, event, fields); }
inline void warn(std::string_view event, Fields fields = {}) { write(Level::warn, event, fields); }
inline void error(std::string_view event, Fields fields = {}) { write(Level::error, event, fields); }

// Where lines go (default: stderr). The sink gets whole lines, one call per line, serialised
// by the logger's lock (so it must not log itself). Returns the previous sink; an empty
// function restores stderr.
using Sink = std::function<void(std::string_view line)>;
Sink set_sink(Sink sink);

// Replaces every Twilio-style SID inside `text` by its redacted form (exposed for tests and
// for callers that must log a vendor's free-text error message).
std::string scrub_sids(std::string_view text);

}  // namespace mediaflow::log
