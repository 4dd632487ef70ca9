// An in-process host on a free loopback port, with the plugins of this build and the shipped
// pipelines, plus helpers to play a Twilio call over a RawWebSocket.
#pragma once

#include "support/paths.hpp"
#include "support/raw_websocket.hpp"

#include <mediaflow/metrics.hpp>
#include <mediaflow/pipeline/catalog.hpp>
#include <mediaflow/plugin_registry.hpp>
#include <mediaflow/protocol/twilio_envelope.hpp>
#include <mediaflow/server/host.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace mediaflow::test {

class HostTest : public ::testing::Test {
 protected:
  void SetUp() override {
    gst_init(nullptr, nullptr);
    load_plugins(plugin_dir());
    config_.bind = "127.0.0.1";
    config_.port = 0;
    config_.workers = 2;
    config_.pipelines_dir = source_dir() / "pipelines";
  }
  void TearDown() override {
    if (host_) host_->stop();
  }

  void start_host() {
    catalog_ = std::make_shared<pipeline::PipelineCatalog>(config_.pipelines_dir);
    auto report = catalog_->reload();
    ASSERT_TRUE(report.errors.empty()) << pipeline::to_string(report.errors);
    host_ = std::make_unique<server::Host>(config_, catalog_);
    std::string error;
    ASSERT_TRUE(host_->start(&error)) << error;
    ASSERT_NE(host_->port(), 0);
  }

  uint16_t port() const { return host_->port(); }

 public:
  // Polls until `pred` holds or `timeout_ms` passes.
  template <typename Pred>
  static bool eventually(Pred pred, int timeout_ms = 5000) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (std::chrono::steady_clock::now() < end) {
      if (pred()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return pred();
  }

  static std::string start_message(const std::string& pipeline, const std::string& call_sid = "CA00000000000000000000000000000001",
                                   const std::string& stream_sid = "MZ00000000000000000000000000000001") {
    protocol::twilio::StartEvent s;
    s.stream_sid = stream_sid;
    s.call_sid = call_sid;
    s.account_sid = "AC00000000000000000000000000000001";
    s.tracks = {"inbound"};
    if (!pipeline.empty()) s.custom_parameters["pipeline"] = pipeline;
    s.media_format = {"audio/x-mulaw", 8000, 1};
    return protocol::twilio::encode_start(1, s);
  }

  // Sends `frames` 20 ms frames, each filled with a pattern derived from `seed` and its index.
  // `first` is the index of the first frame in the call (timestamps continue from it).
  static std::vector<uint8_t> send_media(RawWebSocket& ws, int frames, uint8_t seed,
                                         const std::string& stream_sid = "MZ00000000000000000000000000000001",
                                         int first = 0) {
    std::vector<uint8_t> all;
    for (int i = first; i < first + frames; ++i) {
      std::vector<uint8_t> f(160);
      for (size_t k = 0; k < f.size(); ++k) f[k] = uint8_t(seed * 31 + i * 7 + k);
      all.insert(all.end(), f.begin(), f.end());
      EXPECT_TRUE(ws.send_text(protocol::twilio::encode_inbound_media(
          uint64_t(i + 2), stream_sid, "inbound", uint64_t(i + 1), uint64_t(i * 20), f)));
    }
    return all;
  }

  // Reads until close; returns the close code and appends outbound media payloads to *audio.
  static uint16_t read_until_close(RawWebSocket& ws, std::vector<uint8_t>* audio,
                                   std::vector<std::string>* texts = nullptr, int timeout_ms = 8000) {
    std::vector<WsFrame> frames;
    uint16_t code = ws.wait_close(timeout_ms, &frames);
    protocol::twilio::TwilioEnvelopeParser parser;
    for (const auto& f : frames) {
      if (f.opcode != 1) continue;
      if (texts) texts->push_back(f.payload);
      if (audio && f.payload.find("\"event\":\"media\"") != std::string::npos) {
        // Outbound media: {"event":"media","streamSid":…,"media":{"payload":"…"}}
        auto p = f.payload.find("\"payload\":\"");
        auto e = f.payload.find('"', p + 11);
        std::string b64 = f.payload.substr(p + 11, e - p - 11);
        std::vector<uint8_t> out(protocol::twilio::base64_decoded_max(b64.size()));
        auto n = protocol::twilio::decode_base64(b64, out);
        EXPECT_TRUE(n.has_value());
        if (n) audio->insert(audio->end(), out.begin(), out.begin() + long(*n));
      }
    }
    return code;
  }

 protected:
  server::ServerConfig config_;
  std::shared_ptr<pipeline::PipelineCatalog> catalog_;
  std::unique_ptr<server::Host> host_;
};

}  // namespace mediaflow::test
