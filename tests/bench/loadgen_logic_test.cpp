// The load generator's plain logic: histogram percentiles, the WebSocket handshake pieces,
// the pacing schedule, the self-identifying frame pattern and the vendor stamp.
#include "loadgen/echo_tracker.hpp"
#include "loadgen/frame_pattern.hpp"
#include "loadgen/histogram.hpp"
#include "loadgen/pacing.hpp"
#include "loadgen/ws_handshake.hpp"

#include <mediaflow/dial/twilio_caller.hpp>

#include <mediaflow/protocol/vendor_stamp.hpp>

#include <gtest/gtest.h>

#include <array>
#include <random>
#include <vector>

namespace mediaflow::bench {
namespace {

TEST(BenchLoadgenHistogram, PercentilesMatchTheSortedSamplesToTheBucketWidth) {
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> ms(0.5, 1.2);  // a latency-like long tail
  LatencyHistogram h;
  std::vector<double> samples_ms;
  for (int i = 0; i < 20000; ++i) {
    const int64_t ns = static_cast<int64_t>(ms(rng) * 1e6);
    h.add_ns(ns);
    samples_ms.push_back(ns / 1e6);
  }
  ASSERT_EQ(h.count(), samples_ms.size());
  for (double q : {0.0, 0.5, 0.9, 0.99, 0.999, 1.0}) {
    const double exact = dial::percentile(samples_ms, q);
    // 10 µs buckets below 1 s, 1 ms above; the report is the bucket's middle.
    const double tolerance = exact < 1000 ? 0.0051 : 0.51;
    EXPECT_NEAR(h.percentile_ms(q), exact, tolerance) << "q=" << q;
  }
  EXPECT_DOUBLE_EQ(h.max_ms(), dial::percentile(samples_ms, 1));
}

TEST(BenchLoadgenHistogram, CoarseRangeOverflowEmptyAndMerge) {
  LatencyHistogram empty;
  EXPECT_EQ(empty.percentile_ms(0.99), 0);
  EXPECT_EQ(empty.max_ms(), 0);

  LatencyHistogram a, b;
  for (int i = 0; i < 98; ++i) a.add_ns(1'000'000);  // 1 ms
  b.add_ns(5'500'000'000);   // 5.5 s: coarse range
  b.add_ns(90'000'000'000);  // 90 s: overflow
  b.add_ns(-5);              // clock skew: counts as 0
  a.merge(b);
  EXPECT_EQ(a.count(), 101u);
  EXPECT_EQ(a.percentile_ms(0), 0);
  EXPECT_NEAR(a.percentile_ms(0.5), 1.0, 0.0051);
  EXPECT_NEAR(a.percentile_ms(0.99), 5500, 0.51);  // rank 99 of 0..100
  EXPECT_DOUBLE_EQ(a.percentile_ms(1), 90000);
  EXPECT_DOUBLE_EQ(a.max_ms(), 90000);
}

TEST(BenchLoadgenHandshake, AcceptIsTheRfcExampleAndResponsesAreChecked) {
  // RFC 6455 §1.3.
  EXPECT_EQ(websocket_accept_for("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  std::array<uint8_t, 16> nonce{};
  const std::string sample = "the sample nonce";
  std::copy(sample.begin(), sample.end(), nonce.begin());
  EXPECT_EQ(make_websocket_key(nonce), "dGhlIHNhbXBsZSBub25jZQ==");

  const std::string head =
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "sec-websocket-accept:  s3pPLMBiTxaQ9kYGzzhZRbK+xOo= \r\n\r\n";
  const std::string with_frame = head + "\x81\x02hi";
  for (size_t cut = 0; cut < head.size(); cut += 7)
    EXPECT_EQ(parse_upgrade_response(with_frame.substr(0, cut)).state, UpgradeResponse::State::kIncomplete);
  const auto ok = parse_upgrade_response(with_frame);
  ASSERT_EQ(ok.state, UpgradeResponse::State::kDone);
  EXPECT_EQ(ok.status, 101u);
  EXPECT_EQ(ok.accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  EXPECT_EQ(ok.head_bytes, head.size());  // the frame after it is left for the reader

  const auto refused = parse_upgrade_response("HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n");
  ASSERT_EQ(refused.state, UpgradeResponse::State::kDone);
  EXPECT_EQ(refused.status, 401u);
  EXPECT_EQ(refused.accept, "");
  EXPECT_EQ(refused.subprotocol, "");
  // jambonz calls check the subprotocol the host selected.
  EXPECT_EQ(parse_upgrade_response("HTTP/1.1 101 Switching Protocols\r\nsec-websocket-protocol: audio.jambonz.org\r\n\r\n")
                .subprotocol,
            "audio.jambonz.org");
  EXPECT_EQ(parse_upgrade_response("SSH-2.0-OpenSSH\r\n\r\n").state, UpgradeResponse::State::kMalformed);
  EXPECT_EQ(parse_upgrade_response(std::string(20000, 'x')).state, UpgradeResponse::State::kMalformed);
}

TEST(BenchLoadgenHandshake, UrlsAndTheRequest) {
  std::string error;
  auto u = parse_ws_url("ws://127.0.0.1:18080/rtm/voice/jwt/abc?x=1", &error);
  ASSERT_TRUE(u) << error;
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, 18080);
  EXPECT_EQ(u->target, "/rtm/voice/jwt/abc?x=1");
  auto bare = parse_ws_url("ws://localhost", &error);
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->port, 80);
  EXPECT_EQ(bare->target, "/");
  EXPECT_FALSE(parse_ws_url("wss://h/x", &error));
  EXPECT_FALSE(parse_ws_url("ws://h:99999/x", &error));
  EXPECT_FALSE(parse_ws_url("ws://:80/x", &error));
  EXPECT_FALSE(parse_ws_url("http://h/x", &error));

  const std::string req = build_upgrade_request(*u, "KEY==", {{"x-media-auth", "T"}});
  EXPECT_EQ(req.rfind("GET /rtm/voice/jwt/abc?x=1 HTTP/1.1\r\n", 0), 0u) << req;
  EXPECT_NE(req.find("\r\nHost: 127.0.0.1:18080\r\n"), std::string::npos);
  EXPECT_NE(req.find("\r\nSec-WebSocket-Key: KEY==\r\n"), std::string::npos);
  EXPECT_NE(req.find("\r\nSec-WebSocket-Version: 13\r\n"), std::string::npos);
  EXPECT_NE(req.find("\r\nx-media-auth: T\r\n"), std::string::npos);
  EXPECT_EQ(req.substr(req.size() - 4), "\r\n\r\n");
}

TEST(BenchLoadgenPacing, SlotsAreUniformAndFramesAreOnAFixedGrid) {
  const int64_t start = 1'000'000'000, ramp = 10'000'000'000;  // 1000 calls over 10 s
  for (unsigned c = 0; c < 1000; ++c) EXPECT_EQ(call_slot_ns(start, ramp, 1000, c), start + c * 10'000'000ll);
  EXPECT_EQ(call_slot_ns(start, 0, 5, 4), start);  // no ramp: all at once

  const int64_t slot = 5'000'000'000;
  // Opened within the lead: frame 0 at slot + lead, whatever the setup took.
  EXPECT_EQ(call_t0_ns(slot, slot + 3'000'000), slot + kSetupLeadNs);
  // Slower setup: frame 0 as soon as the call is open.
  EXPECT_EQ(call_t0_ns(slot, slot + kSetupLeadNs + 7), slot + kSetupLeadNs + 7);
  EXPECT_EQ(frame_due_ns(100, 0), 100);
  EXPECT_EQ(frame_due_ns(100, 750), 100 + 750 * 20'000'000ll);  // no drift: absolute
  EXPECT_EQ(frames_for(15), 750u);
  EXPECT_EQ(frames_for(2), 100u);
}

TEST(BenchLoadgenFramePattern, EveryFrameNamesItsCallAndIndex) {
  std::array<uint8_t, 160> frame{};
  for (unsigned call : {0u, 1u, 1999u, 123456u}) {
    for (uint64_t k : {0ull, 1ull, 749ull, 1ull << 39}) {
      fill_unique_frame(call, k, frame);
      const auto id = identify_unique_frame(frame);
      ASSERT_TRUE(id) << call << "/" << k;
      EXPECT_EQ(id->call, call);
      EXPECT_EQ(id->frame, k);
    }
  }
  fill_unique_frame(3, 9, frame);
  std::array<uint8_t, 160> other{};
  fill_unique_frame(3, 10, other);
  EXPECT_NE(frame, other);
  frame[100] ^= 1;  // one flipped byte: not our frame any more
  EXPECT_FALSE(identify_unique_frame(frame));
  std::array<uint8_t, 160> silence;
  silence.fill(0xFF);
  EXPECT_FALSE(identify_unique_frame(silence));
}

// jambonz frames are 20 ms of PCM: 320 to 2560 bytes (8 to 64 kHz), each identified whole.
TEST(BenchLoadgenFramePattern, PcmFramesUpToSixtyFourKilohertzAreIdentified) {
  for (size_t bytes : {size_t{320}, size_t{640}, kMaxPatternFrameBytes}) {
    std::vector<uint8_t> frame(bytes);
    fill_unique_frame(5, 77, frame);
    const auto id = identify_unique_frame(frame);
    ASSERT_TRUE(id) << bytes;
    EXPECT_EQ(id->frame, 77u);
    frame.back() ^= 1;
    EXPECT_FALSE(identify_unique_frame(frame)) << bytes << ": the last byte counts too";
  }
  EXPECT_FALSE(identify_unique_frame(std::vector<uint8_t>(kMaxPatternFrameBytes + 2)));
}

TEST(BenchLoadgenEchoTracker, CutsEchoesIntoFramesOfTheCallsSize) {
  EchoTracker echo(2, 3, 0, 640);
  std::vector<uint8_t> stream;
  for (uint64_t k = 0; k < 3; ++k) {
    echo.sent(k, static_cast<int64_t>(k) * 20'000'000);
    std::vector<uint8_t> f(640);
    fill_unique_frame(2, k, f);
    stream.insert(stream.end(), f.begin(), f.end());
  }
  unsigned matches = 0;
  echo.received(std::span<const uint8_t>(stream).first(1000), 100'000'000, [&](const EchoTracker::Match&) { ++matches; });
  EXPECT_EQ(matches, 1u);
  echo.received(std::span<const uint8_t>(stream).subspan(1000), 100'000'000, [&](const EchoTracker::Match&) { ++matches; });
  EXPECT_EQ(matches, 3u);
}

TEST(BenchLoadgenVendorStamp, ReadsLittleEndianNanosecondsAfterTheMagic) {
  std::vector<uint8_t> payload(160, 0xFF);
  EXPECT_FALSE(protocol::vendor_stamp::read_stamp(payload));
  const uint64_t ns = 0x0102030405060708ull;
  payload[0] = 'M', payload[1] = 'F', payload[2] = 'T', payload[3] = 'S';
  for (int i = 0; i < 8; ++i) payload[4 + i] = static_cast<uint8_t>(ns >> (8 * i));
  ASSERT_TRUE(protocol::vendor_stamp::read_stamp(payload));
  EXPECT_EQ(static_cast<int64_t>(*protocol::vendor_stamp::read_stamp(payload)), static_cast<int64_t>(ns));
  EXPECT_FALSE(protocol::vendor_stamp::read_stamp(std::span<const uint8_t>(payload.data(), 11)));
}

}  // namespace
}  // namespace mediaflow::bench

namespace mediaflow::bench {
namespace {

std::vector<uint8_t> frame_of(unsigned call, uint64_t k) {
  std::vector<uint8_t> f(160);
  fill_unique_frame(call, k, f);
  return f;
}

TEST(BenchLoadgenEchoTracker, MatchesRechunkedEchoesOnceAndOnlyItsOwn) {
  const int64_t t0 = 1'000'000'000;
  EchoTracker echo(7, 10, t0);
  for (uint64_t k = 0; k < 4; ++k) echo.sent(k, t0 + static_cast<int64_t>(k) * 20'000'000 + 1000);
  // Frames 0..3 back as one stream cut at odd places, plus one of another call's frames, frame
  // 1 twice, and frame 5 (not sent yet).
  std::vector<uint8_t> stream;
  for (uint64_t k : {0, 1, 2, 3}) {
    auto f = frame_of(7, k);
    stream.insert(stream.end(), f.begin(), f.end());
  }
  for (auto f : {frame_of(8, 0), frame_of(7, 1), frame_of(7, 5)}) stream.insert(stream.end(), f.begin(), f.end());
  std::vector<EchoTracker::Match> matches;
  const int64_t arrival = t0 + 100'000'000;
  size_t pos = 0;
  for (size_t cut : {100u, 220u, 1u, 399u}) {
    echo.received(std::span<const uint8_t>(stream).subspan(pos, cut), arrival,
                  [&](const EchoTracker::Match& m) { matches.push_back(m); });
    pos += cut;
  }
  echo.received(std::span<const uint8_t>(stream).subspan(pos), arrival,
                [&](const EchoTracker::Match& m) { matches.push_back(m); });
  ASSERT_EQ(matches.size(), 4u);
  EXPECT_EQ(echo.matched(), 4u);
  for (size_t k = 0; k < 4; ++k) {
    EXPECT_EQ(matches[k].round_trip_ns, arrival - (t0 + static_cast<int64_t>(k) * 20'000'000 + 1000)) << k;
    EXPECT_EQ(matches[k].first, k == 0);
  }
  EXPECT_EQ(matches[0].since_first_send_ns, arrival - (t0 + 1000));
}

TEST(BenchLoadgenEchoTracker, EchoOlderThanTheSendRingIsTimedFromItsSchedule) {
  const uint64_t frames = EchoTracker::kSendRing + 10;
  const int64_t t0 = 0;
  EchoTracker echo(1, frames, t0);
  for (uint64_t k = 0; k < frames; ++k) echo.sent(k, frame_due_ns(t0, k) + 5000);  // 5 µs late each
  const int64_t arrival = frame_due_ns(t0, frames) + 1'000'000;
  std::vector<int64_t> rtt;
  for (uint64_t k : {uint64_t{0}, frames - 1}) {
    echo.received(frame_of(1, k), arrival, [&](const EchoTracker::Match& m) { rtt.push_back(m.round_trip_ns); });
  }
  ASSERT_EQ(rtt.size(), 2u);
  EXPECT_EQ(rtt[0], arrival - frame_due_ns(t0, 0));               // overwritten: scheduled time
  EXPECT_EQ(rtt[1], arrival - (frame_due_ns(t0, frames - 1) + 5000));  // in the ring: send time
}

}  // namespace
}  // namespace mediaflow::bench
