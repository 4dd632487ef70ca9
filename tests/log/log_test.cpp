#include <mediaflow/log.hpp>

#include <mediaflow/protocol/redact.hpp>

#include <fcntl.h>
#include <glib.h>
#include <gtest/gtest.h>
#include <json-glib/json-glib.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <mutex>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace mflog = mediaflow::log;

namespace {

constexpr std::string_view kSid = "CA0123456789abcdef0123456789abcdef";

// Captures every line the logger emits while alive, and restores the previous sink after.
class CapturedLog {
 public:
  CapturedLog() {
    previous_ = mflog::set_sink([this](std::string_view line) { lines_.emplace_back(line); });
  }
  ~CapturedLog() { mflog::set_sink(std::move(previous_)); }
  const std::vector<std::string>& lines() const { return lines_; }

 private:
  mflog::Sink previous_;
  std::vector<std::string> lines_;
};

struct Parsed {
  JsonParser* parser = nullptr;
  JsonObject* object = nullptr;
  explicit Parsed(const std::string& line) {
    parser = json_parser_new();
    GError* error = nullptr;
    EXPECT_TRUE(json_parser_load_from_data(parser, line.data(), static_cast<gssize>(line.size()), &error))
        << (error ? error->message : "") << " in: " << line;
    if (error) g_error_free(error);
    JsonNode* root = json_parser_get_root(parser);
    if (root != nullptr && JSON_NODE_HOLDS_OBJECT(root)) object = json_node_get_object(root);
    EXPECT_NE(object, nullptr) << line;
  }
  ~Parsed() { g_object_unref(parser); }
  std::string str(const char* key) const {
    return object && json_object_has_member(object, key) ? json_object_get_string_member(object, key) : "<absent>";
  }
};

}  // namespace

TEST(Log, OneJsonObjectPerLineWithTsLevelEventAndFields) {
  mflog::set_level(mflog::Level::debug);
  CapturedLog cap;
  mflog::info("call_started", {{"call", mflog::call_id(kSid)}, {"pipeline", std::string("echo")},
                             {"tracks", 2}, {"rate", 0.5}, {"live", true}, {"none", nullptr},
                             {"bytes", std::uint64_t{18446744073709551615ull}}});
  ASSERT_EQ(cap.lines().size(), 1u);
  const std::string& line = cap.lines()[0];
  ASSERT_FALSE(line.empty());
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1);  // exactly one line
  Parsed p(line);
  ASSERT_NE(p.object, nullptr);
  EXPECT_TRUE(std::regex_match(p.str("ts"), std::regex(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)"))) << p.str("ts");
  EXPECT_EQ(p.str("level"), "info");
  EXPECT_EQ(p.str("event"), "call_started");
  EXPECT_EQ(p.str("call"), mediaflow::protocol::redact_sid(kSid));
  EXPECT_EQ(p.str("pipeline"), "echo");
  EXPECT_EQ(json_object_get_int_member(p.object, "tracks"), 2);
  EXPECT_DOUBLE_EQ(json_object_get_double_member(p.object, "rate"), 0.5);
  EXPECT_TRUE(json_object_get_boolean_member(p.object, "live"));
  EXPECT_TRUE(json_object_get_null_member(p.object, "none"));
  EXPECT_NE(line.find("\"bytes\":18446744073709551615"), std::string::npos);
  // ts/level/event come first, in that order.
  EXPECT_EQ(line.rfind("{\"ts\":\"", 0), 0u);
  EXPECT_LT(line.find("\"level\""), line.find("\"event\""));
}

TEST(Log, TimestampIsUtcWithMilliseconds) {
  auto line = mflog::format_line(mflog::Level::warn, "x", {}, 1700000000123);
  EXPECT_EQ(line.rfind(R"({"ts":"2023-11-14T22:13:20.123Z","level":"warn","event":"x"})", 0), 0u) << line;
  line = mflog::format_line(mflog::Level::error, "x", {}, 5);
  EXPECT_NE(line.find("1970-01-01T00:00:00.005Z"), std::string::npos) << line;
}

TEST(Log, RawCallSidNeverReachesTheLine) {
  mflog::set_level(mflog::Level::debug);
  CapturedLog cap;
  const std::string sid(kSid);
  mflog::info("a", {{"call", mflog::call_id(sid)}});
  mflog::info("b", {{"call_sid", sid}, {"stream_sid", "MZ0123456789abcdef0123456789abcdef"}});  // plain strings, SID-like keys
  mflog::warn("c", {{"detail", "vendor said: call " + sid + " not found"}});             // embedded in free text
  mflog::debug("d", {{"sid", sid}});
  mflog::error(std::string("e_") + sid);  // even in an event name
  ASSERT_EQ(cap.lines().size(), 5u);
  for (const auto& line : cap.lines()) {
    EXPECT_EQ(line.find(sid), std::string::npos) << line;
    EXPECT_EQ(line.find("0123456789abcdef0123456789abcdef"), std::string::npos) << line;
    Parsed p(line);  // still valid JSON
  }
  EXPECT_EQ(Parsed(cap.lines()[1]).str("call_sid"), mediaflow::protocol::redact_sid(sid));
  EXPECT_NE(cap.lines()[2].find(mediaflow::protocol::redact_sid(sid)), std::string::npos);
  // Words that merely look alike are left alone.
  EXPECT_EQ(mflog::scrub_sids("CALLBACK_0123 and XX0123"), "CALLBACK_0123 and XX0123");
}

TEST(Log, SecretLikeKeysAreRedacted) {
  mflog::set_level(mflog::Level::debug);
  CapturedLog cap;
  mflog::warn("auth_failed", {{"token", "eyJhbGciOiJIUzI1NiJ9.e30.sig"}, {"reason", "expired"},
                            {"Authorization", "Bearer abc"}, {"signature", nullptr}});
  ASSERT_EQ(cap.lines().size(), 1u);
  const auto& line = cap.lines()[0];
  EXPECT_EQ(line.find("eyJhbGci"), std::string::npos) << line;
  EXPECT_EQ(line.find("Bearer"), std::string::npos) << line;
  Parsed p(line);
  EXPECT_EQ(p.str("token"), "[redacted]");
  EXPECT_EQ(p.str("reason"), "expired");
  EXPECT_TRUE(json_object_get_null_member(p.object, "signature"));
}

TEST(Log, ValuesAreJsonEscaped) {
  mflog::set_level(mflog::Level::debug);
  CapturedLog cap;
  const std::string nasty = std::string("q\"b\\s/n\nr\rt\tc\x01") + "\x7f" + "é";
  mflog::info("esc\"ape", {{"v", nasty}, {"k\"ey", "x"}, {"bad_utf8", std::string("a\xff\xfe") + "b"},
                         {"event", "shadow"}, {"nan", 0.0 / 0.0}});
  ASSERT_EQ(cap.lines().size(), 1u);
  Parsed p(cap.lines()[0]);
  ASSERT_NE(p.object, nullptr);
  EXPECT_EQ(p.str("v"), nasty);
  EXPECT_EQ(p.str("k\"ey"), "x");
  EXPECT_EQ(p.str("event"), "esc\"ape");  // a field cannot overwrite the event
  EXPECT_EQ(p.str("_event"), "shadow");
  EXPECT_TRUE(g_utf8_validate(p.str("bad_utf8").c_str(), -1, nullptr));
  EXPECT_EQ(p.str("bad_utf8").front(), 'a');
  EXPECT_TRUE(json_object_get_null_member(p.object, "nan"));
}

TEST(Log, LevelThresholdFiltersAndParsesEnv) {
  CapturedLog cap;
  mflog::set_level(mflog::Level::warn);
  mflog::debug("d");
  mflog::info("i");
  mflog::warn("w");
  mflog::error("e");
  ASSERT_EQ(cap.lines().size(), 2u);
  EXPECT_EQ(Parsed(cap.lines()[0]).str("level"), "warn");
  EXPECT_EQ(Parsed(cap.lines()[1]).str("level"), "error");

  setenv("LOG_LEVEL", "error", 1);
  mflog::init_from_env();
  EXPECT_EQ(mflog::level(), mflog::Level::error);
  setenv("LOG_LEVEL", "DEBUG", 1);
  mflog::init_from_env();
  EXPECT_EQ(mflog::level(), mflog::Level::debug);
  setenv("LOG_LEVEL", "loud", 1);
  mflog::init_from_env();
  EXPECT_EQ(mflog::level(), mflog::Level::info);
  EXPECT_EQ(Parsed(cap.lines().back()).str("event"), "log_level_invalid");
  unsetenv("LOG_LEVEL");
  mflog::init_from_env();
  EXPECT_EQ(mflog::level(), mflog::Level::info);
  EXPECT_FALSE(mflog::parse_level("verbose").has_value());
}

TEST(Log, ConcurrentWritersToStderrNeverInterleave) {
  mflog::set_level(mflog::Level::info);
  char path[] = "/tmp/mediaflow-log-XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  fflush(stderr);
  int saved = dup(STDERR_FILENO);
  ASSERT_EQ(dup2(fd, STDERR_FILENO), STDERR_FILENO);
  constexpr int kThreads = 6;
  constexpr int kLines = 300;
  const std::string payload(2000, 'x');  // beyond PIPE_BUF: only whole-line writes keep it intact
  {
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t)
      threads.emplace_back([&, t] {
        for (int i = 0; i < kLines; ++i) mflog::info("tick", {{"thread", t}, {"i", i}, {"pad", payload}});
      });
    for (auto& th : threads) th.join();
  }
  dup2(saved, STDERR_FILENO);
  close(saved);
  close(fd);
  std::ifstream in(path);
  std::string line;
  int count = 0;
  while (std::getline(in, line)) {
    Parsed p(line);
    if (!p.object) break;
    EXPECT_EQ(p.str("pad"), payload);
    ++count;
  }
  unlink(path);
  EXPECT_EQ(count, kThreads * kLines);
}

namespace {

TEST(Redact, UrlCredentialsAreReplacedAndTheRestKept) {
  using mediaflow::protocol::redact_url_credentials;
  EXPECT_EQ(redact_url_credentials("wss://api.x.io/v1/c?agent_id=a1&token=abc123&x=1"),
            "wss://api.x.io/v1/c?agent_id=a1&token=<redacted>&x=1");
  EXPECT_EQ(redact_url_credentials("failed: URL: http://bob:hunter2@10.0.0.1:80/p?q=1#frag, Redirect"),
            "failed: URL: http://bob:<redacted>@10.0.0.1:80/p?q=1#frag, Redirect");
  EXPECT_EQ(redact_url_credentials("a wss://h/?X-Amz-Signature=s&api_key=k b"), "a wss://h/?X-Amz-Signature=<redacted>&api_key=<redacted> b");
  EXPECT_EQ(redact_url_credentials("no url here, token=abc"), "no url here, token=abc");
  EXPECT_EQ(redact_url_credentials("ws://127.0.0.1:8080/rtm/voice"), "ws://127.0.0.1:8080/rtm/voice");
  EXPECT_EQ(redact_url_credentials("http://user@h/"), "http://user@h/");  // a user name alone is no secret
}

TEST(Redact, SecretNames) {
  using mediaflow::protocol::is_secret_name;
  for (const char* name : {"api-key", "xi-api-key", "apikey", "user-pw", "proxy_pw", "passphrase", "Authorization",
                           "access_token", "client-secret", "X-Amz-Signature", "key", "credentials"})
    EXPECT_TRUE(is_secret_name(name)) << name;
  for (const char* name : {"keywords", "location", "agent-id", "user-id", "url", "model", "stream-sid"})
    EXPECT_FALSE(is_secret_name(name)) << name;
}

TEST(Log, UrlCredentialsInAStringValueAreRedacted) {
  std::string line;
  auto previous = mflog::set_sink([&](std::string_view l) { line.assign(l); });
  mflog::warn("pipeline_warning", {{"detail", "URL: https://h/x?token=s3cr3t-value"}});
  mflog::set_sink(previous);
  EXPECT_EQ(line.find("s3cr3t-value"), std::string::npos) << line;
  EXPECT_NE(line.find("token=<redacted>"), std::string::npos) << line;
}

}  // namespace
