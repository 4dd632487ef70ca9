#include <mediaflow/log.hpp>
#include <mediaflow/protocol/json_string.hpp>

#include <mediaflow/protocol/redact.hpp>

#include <glib.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <mutex>

namespace mediaflow::log {
namespace {

constexpr int kUnset = -1;
std::atomic<int> g_level{kUnset};

std::mutex& sink_mutex() {
  static std::mutex* m = new std::mutex();  // outlives every thread that may log at exit
  return *m;
}
Sink& sink_slot() {
  static Sink* s = new Sink();
  return *s;
}

void write_stderr(std::string_view line) {
  const char* p = line.data();
  std::size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(STDERR_FILENO, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // nowhere left to report it
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
}

constexpr std::array<std::string_view, 8> kSidKeys = {
    "call", "call_sid", "callSid", "sid", "stream_sid", "streamSid", "account_sid", "accountSid"};
constexpr std::array<std::string_view, 8> kSecretKeys = {
    "token", "secret", "authorization", "signature", "api_key", "apiKey", "password", "key"};

template <std::size_t N>
bool in(const std::array<std::string_view, N>& set, std::string_view key) {
  for (auto k : set)
    if (k.size() == key.size() && g_ascii_strncasecmp(k.data(), key.data(), k.size()) == 0)
      return true;
  return false;
}

bool is_reserved(std::string_view key) {
  return key == "ts" || key == "level" || key == "event" || key == "instance";
}

// Set when a host starts, read by every log line on any thread. Several hosts in one process
// (tests) each set it while the others' threads log: readers take a reference under the lock.
struct InstanceId {
  std::mutex mutex;
  std::shared_ptr<const std::string> id = std::make_shared<const std::string>();
};
InstanceId& instance_slot() {
  static auto* slot = new InstanceId();  // never destroyed: threads may log during exit
  return *slot;
}
std::shared_ptr<const std::string> instance_id() {
  InstanceId& slot = instance_slot();
  std::lock_guard lock(slot.mutex);
  return slot.id;
}

void append_json_string(std::string& out, std::string_view raw) {
  if (g_utf8_validate(raw.data(), static_cast<gssize>(raw.size()), nullptr)) {
    protocol::append_json_string(out, raw);
    return;
  }
  gchar* fixed = g_utf8_make_valid(raw.data(), static_cast<gssize>(raw.size()));
  protocol::append_json_string(out, fixed);
  g_free(fixed);
}

std::string format_double(double d) {
  if (!std::isfinite(d)) return "null";
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
  return ec == std::errc() ? std::string(buf, end) : std::string("null");
}

void append_value(std::string& out, std::string_view key, const Value& value) {
  const bool sid_key = in(kSidKeys, key);
  if (in(kSecretKeys, key)) {
    // Whether a secret was present may matter; its value never does.
    const bool absent = std::holds_alternative<std::monostate>(value.get());
    out += absent ? "null" : "\"[redacted]\"";
    return;
  }
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::monostate>) out += "null";
        else if constexpr (std::is_same_v<T, bool>) out += v ? "true" : "false";
        else if constexpr (std::is_same_v<T, std::int64_t> || std::is_same_v<T, std::uint64_t>)
          out += sid_key ? "\"[redacted]\"" : std::to_string(v);
        else if constexpr (std::is_same_v<T, double>) out += format_double(v);
        else if constexpr (std::is_same_v<T, Value::Redacted>) append_json_string(out, v.text);
        else  // plain string: a SID-like key is redacted whole, any other is scrubbed (SIDs, URL credentials)
          append_json_string(out, sid_key ? protocol::redact_sid(v) : scrub_sids(protocol::redact_url_credentials(v)));
      },
      value.get());
}

std::string iso8601_ms(std::int64_t unix_ms) {
  std::time_t secs = static_cast<std::time_t>(unix_ms / 1000);
  int ms = static_cast<int>(unix_ms % 1000);
  if (ms < 0) {
    ms += 1000;
    --secs;
  }
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
  return buf;
}

bool is_hex(char c) { return g_ascii_isxdigit(c); }

}  // namespace

CallId::CallId(std::string_view raw_sid) : redacted_(protocol::redact_sid(raw_sid)) {}

std::optional<Level> parse_level(std::string_view name) {
  std::string lower(name);
  for (char& c : lower) c = g_ascii_tolower(c);
  if (lower == "debug") return Level::debug;
  if (lower == "info") return Level::info;
  if (lower == "warn" || lower == "warning") return Level::warn;
  if (lower == "error") return Level::error;
  return std::nullopt;
}

std::string_view to_string(Level level) {
  switch (level) {
    case Level::debug: return "debug";
    case Level::info: return "info";
    case Level::warn: return "warn";
    case Level::error: return "error";
  }
  return "info";
}

void init_from_env() {
  const char* env = std::getenv("LOG_LEVEL");
  const bool unset = env == nullptr || *env == '\0';
  auto parsed = unset ? std::optional(Level::info) : parse_level(env);
  g_level.store(static_cast<int>(parsed.value_or(Level::info)), std::memory_order_relaxed);
  if (!parsed) warn("log_level_invalid", {{"value", std::string_view(env)}, {"using", "info"}});
}

Level level() {
  int current = g_level.load(std::memory_order_relaxed);
  if (current == kUnset) {
    static std::once_flag once;
    std::call_once(once, init_from_env);
    current = g_level.load(std::memory_order_relaxed);
  }
  return static_cast<Level>(current);
}

void set_level(Level level) { g_level.store(static_cast<int>(level), std::memory_order_relaxed); }

bool enabled(Level l) { return static_cast<int>(l) >= static_cast<int>(level()); }

std::string scrub_sids(std::string_view text) {
  // A SID: two ASCII capitals then exactly 32 hex digits, not glued to other word characters.
  constexpr std::size_t kLen = 34;
  std::string out;
  std::size_t i = 0;
  while (i < text.size()) {
    bool match = i + kLen <= text.size() && g_ascii_isupper(text[i]) &&
                 g_ascii_isupper(text[i + 1]) && (i == 0 || !g_ascii_isalnum(text[i - 1])) &&
                 (i + kLen == text.size() || !g_ascii_isalnum(text[i + kLen]));
    for (std::size_t k = 2; match && k < kLen; ++k) match = is_hex(text[i + k]);
    if (match) {
      out += protocol::redact_sid(text.substr(i, kLen));
      i += kLen;
    } else {
      out += text[i++];
    }
  }
  return out;
}

void set_instance(std::string id) {
  auto value = std::make_shared<const std::string>(std::move(id));
  InstanceId& slot = instance_slot();
  std::lock_guard lock(slot.mutex);
  slot.id = std::move(value);
}

std::string format_line(Level level, std::string_view event, Fields fields, std::int64_t unix_ms) {
  std::string out;
  out.reserve(128);
  out += "{\"ts\":\"";
  out += iso8601_ms(unix_ms);
  out += "\",\"level\":\"";
  out += to_string(level);
  if (const auto instance = instance_id(); !instance->empty()) {
    out += "\",\"instance\":";
    append_json_string(out, *instance);
    out += ",\"event\":";
  } else {
    out += "\",\"event\":";
  }
  append_json_string(out, scrub_sids(event));
  for (const Field& f : fields) {
    out += ',';
    append_json_string(out, is_reserved(f.key) ? "_" + std::string(f.key) : std::string(f.key));
    out += ':';
    append_value(out, f.key, f.value);
  }
  out += "}\n";
  return out;
}

void write(Level l, std::string_view event, Fields fields) {
  if (!enabled(l)) return;
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  const std::string line = format_line(l, event, fields, now);
  std::lock_guard lock(sink_mutex());
  if (sink_slot()) sink_slot()(line);
  else write_stderr(line);
}

Sink set_sink(Sink sink) {
  std::lock_guard lock(sink_mutex());
  Sink previous = std::move(sink_slot());
  sink_slot() = std::move(sink);
  return previous;
}

}  // namespace mediaflow::log
