// The Deepgram wire codec and the audio backlog, tested directly (no GStreamer, no network).
#include "audio_backlog.hpp"
#include "deepgram_protocol.hpp"

#include "support/heap_usage.hpp"
#include "support/paths.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <numeric>

namespace dg = mediaflow::deepgram;

TEST(DeepgramProtocol, ListenUrlCarriesEveryOptionWithBooleansAsWords) {
  dg::ListenOptions o;
  o.encoding = dg::Encoding::kMulaw;
  o.sample_rate = 8000;
  o.model = "nova-2-phonecall";
  o.language = "en-US";
  o.interim_results = false;
  o.endpointing_ms = -1;
  o.utterance_end_ms = 0;
  o.vad_events = false;
  o.smart_format = true;
  o.punctuate = false;
  EXPECT_EQ(dg::build_listen_url("wss://api.deepgram.com/v1/listen", o),
            "wss://api.deepgram.com/v1/listen?encoding=mulaw&sample_rate=8000&channels=1&model=nova-2-phonecall"
            "&language=en-US&interim_results=false&endpointing=false&vad_events=false&smart_format=true"
            "&punctuate=false");
}

TEST(DeepgramProtocol, ListenUrlKeepsAnExistingQueryAndEscapesValues) {
  dg::ListenOptions o;
  o.model = "a b&c";
  o.language.clear();
  const auto url = dg::build_listen_url("ws://127.0.0.1:1/v1/listen?tag=x", o);
  EXPECT_EQ(url,
            "ws://127.0.0.1:1/v1/listen?tag=x&encoding=linear16&sample_rate=16000&channels=1&model=a%20b%26c"
            "&interim_results=true&endpointing=300&utterance_end_ms=1000&vad_events=true&smart_format=true"
            "&punctuate=true");
}

TEST(DeepgramProtocol, ListenUrlSendsEachTagAsItsOwnEscapedParameter) {
  dg::ListenOptions o;
  o.tags = dg::split_tags(" mediaflow-bench , bench_t0_ns=123,, bench_call=7 ");
  EXPECT_EQ(o.tags, (std::vector<std::string>{"mediaflow-bench", "bench_t0_ns=123", "bench_call=7"}));
  const auto url = dg::build_listen_url("wss://api.deepgram.com/v1/listen", o);
  EXPECT_NE(url.find("&punctuate=true&tag=mediaflow-bench&tag=bench_t0_ns%3D123&tag=bench_call%3D7"),
            std::string::npos)
      << url;
  EXPECT_TRUE(dg::split_tags("").empty());
  EXPECT_TRUE(dg::split_tags(" , ,").empty());
  o.tags = {"", "x"};  // empty entries are never sent as "tag="
  EXPECT_EQ(dg::build_listen_url("ws://h/l", o).find("tag=&"), std::string::npos);
}

TEST(DeepgramProtocol, ParsesResultsWithWords) {
  const auto m = dg::parse_server_message(
      R"({"type":"Results","channel_index":[0,1],"duration":1.98,"start":5.99,"is_final":true,)"
      R"("speech_final":true,"from_finalize":false,"channel":{"alternatives":[{"transcript":"another big",)"
      R"("confidence":0.99,"words":[{"word":"another","start":6.0,"end":6.3,"confidence":0.98,)"
      R"("punctuated_word":"Another"},{"word":"big","start":6,"end":7,"confidence":1}]}]},"metadata":{}})");
  const auto* r = std::get_if<dg::Results>(&m);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->transcript, "another big");
  EXPECT_TRUE(r->is_final);
  EXPECT_TRUE(r->speech_final);
  EXPECT_FALSE(r->from_finalize);
  EXPECT_DOUBLE_EQ(r->start, 5.99);
  EXPECT_DOUBLE_EQ(r->duration, 1.98);
  EXPECT_DOUBLE_EQ(r->confidence, 0.99);
  ASSERT_EQ(r->words.size(), 2u);
  EXPECT_EQ(r->words[0].word, "another");
  EXPECT_EQ(r->words[0].punctuated_word.value_or(""), "Another");
  EXPECT_DOUBLE_EQ(r->words[0].end, 6.3);
  EXPECT_DOUBLE_EQ(r->words[1].start, 6.0);  // integer JSON numbers read as numbers
  EXPECT_FALSE(r->words[1].punctuated_word.has_value());
}

TEST(DeepgramProtocol, ParsesTheOtherServerMessages) {
  auto m = dg::parse_server_message(R"({"type":"UtteranceEnd","channel":[0,1],"last_word_end":2.395})");
  ASSERT_TRUE(std::holds_alternative<dg::UtteranceEnd>(m));
  EXPECT_DOUBLE_EQ(std::get<dg::UtteranceEnd>(m).last_word_end, 2.395);
  m = dg::parse_server_message(R"({"type":"SpeechStarted","channel":[0,1],"timestamp":9.54})");
  ASSERT_TRUE(std::holds_alternative<dg::SpeechStarted>(m));
  EXPECT_DOUBLE_EQ(std::get<dg::SpeechStarted>(m).timestamp, 9.54);
  m = dg::parse_server_message(
      R"({"type":"Metadata","request_id":"r-1","sha256":"x","created":"2024","duration":3.5,"channels":1})");
  ASSERT_TRUE(std::holds_alternative<dg::Metadata>(m));
  EXPECT_EQ(std::get<dg::Metadata>(m).request_id, "r-1");
  EXPECT_DOUBLE_EQ(std::get<dg::Metadata>(m).duration, 3.5);
}

TEST(DeepgramProtocol, ErrorsGarbageAndUnknownTypesAreTaggedNotThrown) {
  auto m = dg::parse_server_message(R"({"type":"Error","description":"bad audio","variant":"DATA-0000"})");
  ASSERT_TRUE(std::holds_alternative<dg::ServerError>(m));
  EXPECT_EQ(std::get<dg::ServerError>(m).description, "DATA-0000: bad audio");
  m = dg::parse_server_message(R"({"err_code":"INVALID_AUTH","err_msg":"Invalid credentials."})");
  ASSERT_TRUE(std::holds_alternative<dg::ServerError>(m));
  EXPECT_EQ(std::get<dg::ServerError>(m).description, "INVALID_AUTH: Invalid credentials.");
  EXPECT_TRUE(std::holds_alternative<dg::ServerError>(dg::parse_server_message("not json {")));
  EXPECT_TRUE(std::holds_alternative<dg::ServerError>(dg::parse_server_message("[1,2]")));
  EXPECT_TRUE(std::holds_alternative<dg::ServerError>(dg::parse_server_message("")));
  m = dg::parse_server_message(R"({"type":"Mystery"})");
  ASSERT_TRUE(std::holds_alternative<dg::Unknown>(m));
  EXPECT_EQ(std::get<dg::Unknown>(m).type, "Mystery");
  // Wrong member types are ignored, not trusted.
  m = dg::parse_server_message(R"({"type":"Results","start":"5","is_final":"yes","channel":[]})");
  ASSERT_TRUE(std::holds_alternative<dg::Results>(m));
  EXPECT_EQ(std::get<dg::Results>(m).start, 0.0);
  EXPECT_FALSE(std::get<dg::Results>(m).is_final);
}

TEST(DeepgramProtocol, ControlMessages) {
  EXPECT_EQ(dg::encode_control(dg::Control::kKeepAlive), R"({"type":"KeepAlive"})");
  EXPECT_EQ(dg::encode_control(dg::Control::kFinalize), R"({"type":"Finalize"})");
  EXPECT_EQ(dg::encode_control(dg::Control::kCloseStream), R"({"type":"CloseStream"})");
}

namespace {
constexpr std::uint64_t kMs = 1000000;
std::vector<std::uint8_t> ramp(std::size_t n, std::uint8_t first = 0) {
  std::vector<std::uint8_t> v(n);
  std::iota(v.begin(), v.end(), first);
  return v;
}
}  // namespace

TEST(DeepgramAudioBacklog, SendsInOrderAndResendsUnconfirmedAudioAfterRewind) {
  dg::AudioBacklog b(1000, 2, 10000, 0);  // 1000 B/s: 1 byte per ms
  const auto a = ramp(100);
  b.append(a.data(), a.size(), 5000 * kMs);
  std::vector<std::uint8_t> out;
  EXPECT_EQ(b.take_unsent(40, out), 5000 * kMs);
  EXPECT_EQ(out, std::vector<std::uint8_t>(a.begin(), a.begin() + 40));
  EXPECT_EQ(b.take_unsent(100, out), 5040 * kMs);
  EXPECT_EQ(out.size(), 60u);
  EXPECT_EQ(b.unsent(), 0u);
  b.confirm_until(5030 * kMs);  // a final result covers the first 30 ms
  EXPECT_EQ(b.size(), 70u);
  b.rewind();                   // connection lost: the rest goes again
  EXPECT_EQ(b.take_unsent(1000, out), 5030 * kMs);
  EXPECT_EQ(out, std::vector<std::uint8_t>(a.begin() + 30, a.end()));
}

TEST(DeepgramAudioBacklog, ConfirmNeverDropsUnsentAudio) {
  dg::AudioBacklog b(1000, 1, 10000, 0);
  const auto a = ramp(50);
  b.append(a.data(), a.size(), 0);
  std::vector<std::uint8_t> out;
  b.take_unsent(20, out);
  b.confirm_until(45 * kMs);
  EXPECT_EQ(b.size(), 30u);
  EXPECT_EQ(b.unsent_time(), 20 * kMs);
}

TEST(DeepgramAudioBacklog, FullBacklogDropsOldestAndKeepsTimeRight) {
  dg::AudioBacklog b(1000, 2, 100, 0);
  const auto a = ramp(160);
  EXPECT_EQ(b.append(a.data(), a.size(), 0), 60u);
  EXPECT_EQ(b.size(), 100u);
  std::vector<std::uint8_t> out;
  EXPECT_EQ(b.take_unsent(1000, out), 60 * kMs);
  EXPECT_EQ(out.front(), 60);
}

TEST(DeepgramAudioBacklog, TimestampGapIsFilledWithSilenceSoVendorTimeStaysCallTime) {
  dg::AudioBacklog b(1000, 1, 10000, 0xFF);
  const auto a = ramp(10, 1);
  b.append(a.data(), a.size(), 0);
  b.append(a.data(), a.size(), 30 * kMs);  // 20 ms missing
  EXPECT_EQ(b.size(), 40u);
  std::vector<std::uint8_t> out;
  b.take_unsent(1000, out);
  EXPECT_EQ(out[15], 0xFF);
  EXPECT_EQ(out[30], 1);
  EXPECT_EQ(b.time_at(b.size()), 40 * kMs);
}

TEST(DeepgramAudioBacklog, AppendAfterEverythingConfirmedRestartsAtTheNewTime) {
  dg::AudioBacklog b(1000, 1, 10000, 0);
  const auto a = ramp(10);
  b.append(a.data(), a.size(), 0);
  std::vector<std::uint8_t> out;
  b.take_unsent(10, out);
  b.confirm_until(10 * kMs);
  EXPECT_TRUE(b.empty());
  b.append(a.data(), a.size(), 500 * kMs);
  EXPECT_EQ(b.unsent_time(), 500 * kMs);
}

// Memory follows the unconfirmed audio: a Twilio call's mu-law at 8 kB/s in 100 ms messages,
// a final result every second (the fake Deepgram's rhythm) arriving 400 ms after the second it
// covers.
// The heap the backlog holds stays within what it holds plus two blocks — the old vector,
// compacted only when its dead prefix outgrew the rest, held 2-4x (issue 17, session 7).
TEST(DeepgramAudioBacklog, HeapFollowsTheUnconfirmedAudio) {
  using mediaflow::test::heap_in_use;
  if (!mediaflow::test::heap_is_measurable()) GTEST_SKIP() << "this allocator does not report through mallinfo2 (a sanitizer's)";
  std::vector<std::uint8_t> frame(160, 0x7F), out;
  out.reserve(800);
  const std::size_t before = heap_in_use();
  std::size_t peak_heap = 0, peak_held = 0;
  {
    dg::AudioBacklog b(8000, 1, 320000, 0xFF);
    for (std::uint64_t i = 0; i < 30 * 50; ++i) {  // 30 s of 20 ms frames
      b.append(frame.data(), frame.size(), i * 20 * kMs);
      if (i % 5 == 4) b.take_unsent(800, out);
      if (i % 50 == 49) b.confirm_until((i - 19) * 20 * kMs);
      peak_held = std::max(peak_held, b.size());
      peak_heap = std::max(peak_heap, heap_in_use() - before);
    }
  }
  EXPECT_GE(peak_held, 9000u);
  EXPECT_LE(peak_heap, peak_held + 2048) << "held " << peak_held << " bytes of audio";
}

// Fuzzer findings (tests/fuzz/regressions/deepgram_message): a channel count or index that fits
// no int is ignored (the cast was undefined behaviour); nesting json-glib would recurse on is an
// error message, not a stack overflow.
TEST(DeepgramProtocol, CountsAndIndexesBeyondIntAreIgnored) {
  using mediaflow::test::fuzz_regression;
  const auto md = dg::parse_server_message(fuzz_regression("deepgram_message", "metadata_channels_1e10.json"));
  ASSERT_TRUE(std::holds_alternative<dg::Metadata>(md));
  EXPECT_EQ(std::get<dg::Metadata>(md).channels, 0);
  EXPECT_EQ(std::get<dg::Metadata>(md).request_id, "r");
  const auto results = dg::parse_server_message(fuzz_regression("deepgram_message", "results_channel_index_beyond_int.json"));
  ASSERT_TRUE(std::holds_alternative<dg::Results>(results));
  EXPECT_EQ(std::get<dg::Results>(results).channel, 0);
  const auto two = dg::parse_server_message(R"({"type":"Metadata","request_id":"r","channels":2})");
  EXPECT_EQ(std::get<dg::Metadata>(two).channels, 2);
}

TEST(DeepgramProtocol, DeeplyNestedMessagesAreAnErrorNotAStackOverflow) {
  const auto m = dg::parse_server_message(mediaflow::test::fuzz_regression("deepgram_message", "nested_100000_deep.json"));
  ASSERT_TRUE(std::holds_alternative<dg::ServerError>(m));
  EXPECT_NE(std::get<dg::ServerError>(m).description.find("nested deeper than 32"), std::string::npos);
}

TEST(DeepgramProtocol, AResultEndBeyondAnyClockIsNoTime) {
  dg::Results r;
  r.start = 1.5;
  r.duration = 0.25;
  EXPECT_EQ(dg::result_end_ns(r), 1750000000u);
  r.start = -5;
  EXPECT_EQ(dg::result_end_ns(r), 0u);
  r.start = 1e300;  // from {"start":1e300,…}: the cast to nanoseconds was undefined behaviour
  EXPECT_FALSE(dg::result_end_ns(r));
  r.start = std::numeric_limits<double>::infinity();
  EXPECT_FALSE(dg::result_end_ns(r));
  const auto parsed = dg::parse_server_message(
      R"({"type":"Results","start":1e300,"duration":1,"is_final":true,"channel":{"alternatives":[]}})");
  ASSERT_TRUE(std::holds_alternative<dg::Results>(parsed));
  EXPECT_FALSE(dg::result_end_ns(std::get<dg::Results>(parsed)));
}
