// plugins/_template (myvendorasr, the template of a streaming ASR vendor) is built test-only
// into build/test-plugins: it registers as an asr element on MediaflowVendorAsr and, against a
// fake of its imaginary vendor, does what the walk-through in docs/plugin-authoring.md says.
#include "support/asr_run.hpp"
#include "support/fake_server_socket.hpp"
#include "support/loopback_soup_server.hpp"
#include "support/paths.hpp"

#include <mediaflow/plugin_registry.hpp>
#include <mediaflow/vendor/vendor_asr.hpp>

#include <gtest/gtest.h>
#include <libsoup/soup.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace {

using mediaflow::test::AsrInput;
using mediaflow::test::AsrRun;

std::filesystem::path template_plugin_dir() { return mediaflow::test::build_dir() / "test-plugins"; }

// "MyVendor" as the template's doc block describes it: a final transcript per half second of
// audio ("half <n>"), the rest at {"type":"finalize"} followed by {"type":"closed"} and close
// 1000; a wrong key gets an error message and close 4001.
class FakeMyVendor {
 public:
  struct Record {
    std::string authorization;
    std::map<std::string, std::string> query;
    std::vector<std::uint8_t> audio;
    bool finalize = false;
  };

  explicit FakeMyVendor(std::string key) : key_(std::move(key)) {}
  ~FakeMyVendor() { soup_.stop(); }

  std::string start() {
    const auto port = soup_.start(
        0, [this](SoupServer* server) { soup_server_add_websocket_handler(server, "/v1/listen", nullptr, nullptr, &on_websocket, this, nullptr); },
        [this] { live_.clear(); });
    return "ws://127.0.0.1:" + std::to_string(port) + "/v1/listen";
  }
  std::vector<Record> records() {
    std::lock_guard lock(mutex_);
    return records_;
  }

 private:
  struct Live {
    FakeMyVendor* fake;
    std::size_t index;
    std::unique_ptr<mediaflow::test::FakeServerSocket> socket;
    std::size_t bytes_per_half_second = 16000;
    std::size_t bytes = 0, answered = 0;
  };

  void say(Live* c, double start, double duration, const std::string& text) {
    c->socket->send(R"({"type":"transcript","final":true,"text":")" + text + R"(","start":)" + std::to_string(start) +
                    R"(,"end":)" + std::to_string(start + duration) + "}");
  }

  static void on_websocket(SoupServer*, SoupServerMessage* msg, const char*, SoupWebsocketConnection* ws, gpointer data) {
    auto* self = static_cast<FakeMyVendor*>(data);
    auto c = std::make_unique<Live>(Live{self, 0, nullptr});
    c->socket = std::make_unique<mediaflow::test::FakeServerSocket>(ws, self->soup_.context(), 0);
    Record r{mediaflow::test::request_header(msg, "Authorization"), mediaflow::test::query_params(msg), {}, false};
    c->bytes_per_half_second = std::size_t(std::atoi(r.query["sample_rate"].c_str())) * (r.query["encoding"] == "mulaw" ? 1 : 2) / 2;
    {
      std::lock_guard lock(self->mutex_);
      c->index = self->records_.size();
      self->records_.push_back(r);
    }
    g_signal_connect(ws, "message", G_CALLBACK(&on_message), c.get());
    if (r.authorization != "Bearer " + self->key_) {
      c->socket->send(R"({"type":"error","message":"unknown key"})");
      c->socket->close(4001, "unauthorized");
    }
    self->live_.push_back(std::move(c));
  }

  static void on_message(SoupWebsocketConnection*, gint type, GBytes* message, gpointer data) {
    auto* c = static_cast<Live*>(data);
    if (c->socket->closing()) return;
    gsize size = 0;
    const auto* bytes = static_cast<const std::uint8_t*>(g_bytes_get_data(message, &size));
    if (type == SOUP_WEBSOCKET_DATA_BINARY) {
      {
        std::lock_guard lock(c->fake->mutex_);
        auto& audio = c->fake->records_[c->index].audio;
        audio.insert(audio.end(), bytes, bytes + size);
      }
      c->bytes += size;
      for (; c->bytes - c->answered >= c->bytes_per_half_second; c->answered += c->bytes_per_half_second)
        c->fake->say(c, 0.5 * double(c->answered / c->bytes_per_half_second), 0.5,
                     "half " + std::to_string(c->answered / c->bytes_per_half_second));
      return;
    }
    if (std::string(reinterpret_cast<const char*>(bytes), size) != R"({"type":"finalize"})") return;
    {
      std::lock_guard lock(c->fake->mutex_);
      c->fake->records_[c->index].finalize = true;
    }
    if (c->bytes > c->answered)
      c->fake->say(c, 0.5 * double(c->answered / c->bytes_per_half_second),
                   double(c->bytes - c->answered) / double(2 * c->bytes_per_half_second), "rest");
    c->socket->send(R"({"type":"closed"})");
    c->socket->close(SOUP_WEBSOCKET_CLOSE_NORMAL);
  }

  std::string key_;
  mediaflow::test::LoopbackSoupServer soup_;
  std::vector<std::unique_ptr<Live>> live_;  // server thread only
  std::mutex mutex_;
  std::vector<Record> records_;
};

class VendorBaseTemplate : public ::testing::Test {
 protected:
  void SetUp() override {
    gst_init(nullptr, nullptr);
    mediaflow::load_plugins(template_plugin_dir());
  }

  GstElement* element(const std::string& url, const char* key) {
    GstElement* e = gst_element_factory_make("myvendorasr", nullptr);
    EXPECT_NE(e, nullptr) << "libmediaflow_myvendor.so in " << template_plugin_dir();
    if (e) g_object_set(e, "url", url.c_str(), "api-key", key, nullptr);
    return e;
  }
};

TEST_F(VendorBaseTemplate, IsAnAsrElementOnTheVendorBase) {
  bool found = false;
  for (const auto& plugin : mediaflow::loaded_plugins())
    for (const auto& e : plugin.elements)
      if (e.name == "myvendorasr") {
        found = true;
        EXPECT_EQ(e.role, mediaflow::role::kAsr);
        EXPECT_EQ(plugin.name, "myvendor");
      }
  ASSERT_TRUE(found) << "the template plugin was not loaded from " << template_plugin_dir();
  GstElement* e = gst_element_factory_make("myvendorasr", nullptr);
  ASSERT_NE(e, nullptr);
  EXPECT_TRUE(G_TYPE_CHECK_INSTANCE_TYPE(e, MEDIAFLOW_TYPE_VENDOR_ASR));
  guint chunk_ms = 0;
  g_object_get(e, "chunk-ms", &chunk_ms, nullptr);
  EXPECT_EQ(chunk_ms, 60u) << "the template's own default";
  gst_object_unref(e);
}

TEST_F(VendorBaseTemplate, TranscribesAgainstItsVendorAndKeepsTheRestAtEos) {
  FakeMyVendor vendor("my-key");
  const std::string url = vendor.start();
  AsrInput in;
  in.audio = mediaflow::test::test_speech_s16(1.2);
  AsrRun run = mediaflow::test::run_asr(element(url, "my-key"), in);
  ASSERT_TRUE(run.eos);
  EXPECT_TRUE(run.errors.empty());
  EXPECT_TRUE(run.warnings.empty());
  const auto finals = run.finals();
  ASSERT_EQ(finals.size(), 3u);
  EXPECT_STREQ(gst_structure_get_string(finals[0], "text"), "half 0");
  EXPECT_STREQ(gst_structure_get_string(finals[1], "text"), "half 1");
  EXPECT_STREQ(gst_structure_get_string(finals[2], "text"), "rest") << "the finalize brought the last 0.2 s";
  EXPECT_DOUBLE_EQ(mediaflow::test::field(finals[2], "start"), 1.0);
  EXPECT_NEAR(mediaflow::test::field(finals[2], "duration"), 0.2, 1e-6);
  const auto records = vendor.records();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].authorization, "Bearer my-key");
  EXPECT_EQ(records[0].query.at("encoding"), "linear16");
  EXPECT_EQ(records[0].query.at("sample_rate"), "16000");
  EXPECT_TRUE(records[0].audio == in.audio);
  EXPECT_TRUE(records[0].finalize);
}

TEST_F(VendorBaseTemplate, ARefusedKeyIsOneWarningWithTheVendorsReasonAndNoRetry) {
  FakeMyVendor vendor("my-key");
  const std::string url = vendor.start();
  AsrInput in;
  in.audio = mediaflow::test::test_speech_s16(0.5);
  AsrRun run = mediaflow::test::run_asr(element(url, "not-my-key"), in);
  ASSERT_TRUE(run.eos);
  ASSERT_EQ(run.warnings.size(), 1u);
  EXPECT_NE(run.warnings[0].find("MyVendor ended the stream (close 4001): the API key was refused"), std::string::npos)
      << run.warnings[0];
  EXPECT_EQ(vendor.records().size(), 1u);
}

}  // namespace
