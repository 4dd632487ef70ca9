// Evidence through a real `mediaflow serve` process: recordings uploaded to a real S3 API
// (s3rver) behind a proxy that verifies every SigV4 signature and payload hash on its own,
// call events delivered to a receiver that verifies them with the Standard Webhooks
// reference library; outages, bad credentials, a missing bucket, a full disk, and a host
// SIGKILLed in the middle of a multipart upload and of an event delivery.
#include "support/evidence_servers.hpp"
#include "support/host_process.hpp"
#include "support/http_client.hpp"
#include "support/paths.hpp"
#include "support/spawn.hpp"
#include "support/test_files.hpp"

#include <mediaflow/dial/twilio_caller.hpp>

#include <gtest/gtest.h>

#include <json-glib/json-glib.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <csignal>
#include <map>
#include <set>
#include <thread>

namespace mediaflow::test {
namespace {

constexpr const char* kBucket = "evidence";
constexpr const char* kPrefix = "calls";

template <typename Pred>
bool wait_for(Pred pred, double seconds) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return pred();
}

std::string call_sid(int n) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "CA%032d", n);
  return buf;
}

std::string folder_key(int n) { return std::string(kPrefix) + "/org/acme/recordings/" + call_sid(n) + "/"; }

std::string lines_with(const dial::HostProcess& host, const std::string& needle) {
  std::string out;
  for (const auto& l : host.log_lines())
    if (l.find(needle) != std::string::npos) out += l + "\n";
  return out;
}

bool has_line(const dial::HostProcess& host, const std::string& needle) { return !lines_with(host, needle).empty(); }

std::string metrics_text(const dial::HostProcess& host) {
  return http_request(uint16_t(host.port()), "GET", "/metrics").body;
}

class EvidenceHostTest : public ::testing::Test {
 protected:
  TempDir work;
  S3Store store{work.path / "store"};
  WebhookReceiver receiver{work.path / "receiver"};
  std::filesystem::path recordings = work.path / "recordings";

  std::map<std::string, std::string> evidence_env(bool keep_local) const {
    return {{"RECORDINGS_DIR", recordings.string()},
            {"RECORDINGS_BUCKET", std::string("s3://") + kBucket + "/" + kPrefix},
            {"AWS_ACCESS_KEY_ID", "AKIDMEDIAFLOWTEST"},
            {"AWS_SECRET_ACCESS_KEY", S3Store::kSecret},
            {"AWS_REGION", "us-east-1"},
            {"AWS_ENDPOINT_URL_S3", store.endpoint()},
            {"EVENTS_WEBHOOK_URL", receiver.url()},
            {"EVENTS_WEBHOOK_SECRET", WebhookReceiver::kSecret},
            {"EVIDENCE_RETRY_MAX_SECONDS", "1"},
            {"RECORDINGS_KEEP_LOCAL", keep_local ? "1" : "0"}};
  }

  // A call of `frames` 20 ms frames of a tone, as fast as the host takes them.
  static dial::CallResult call(const dial::HostProcess& host, const std::string& pipeline, int n, uint64_t frames) {
    dial::CallerOptions o;
    o.url = host.ws_url();
    o.call_sid = call_sid(n);
    o.stream_sid = "MZ" + call_sid(n).substr(2);
    o.custom_parameters = {{"pipeline", pipeline}, {"organization_id", "acme"}};
    o.frame_count = frames;
    o.frame_source = [](uint64_t i, std::span<uint8_t> out) {
      for (size_t k = 0; k < out.size(); ++k) out[k] = uint8_t(0x10 + ((i * 160 + k) % 64));
    };
    o.realtime = false;
    o.keep_received_audio = false;
    o.measure_latency = false;
    return dial::run_call(o);
  }

  bool manifest_stored(int n) const {
    for (const auto& k : store.keys(kBucket))
      if (k.starts_with(folder_key(n)) && k.ends_with(".json")) return true;
    return false;
  }
  // Keys below the bucket (s3rver's folder) of one call's folder, prefix included.
  std::vector<std::string> call_keys(int n) const {
    std::vector<std::string> out;
    for (const auto& k : store.keys(kBucket))
      if (k.starts_with(folder_key(n))) out.push_back(k);
    return out;
  }
  std::vector<Delivery> delivered() const {
    std::vector<Delivery> out;
    for (auto& d : receiver.deliveries())
      if (d.status == 204) out.push_back(d);
    return out;
  }
  std::vector<std::string> types_for(int n) const {
    std::vector<std::string> out;
    for (const auto& d : delivered())
      if (d.call_sid == call_sid(n)) out.push_back(d.type);
    return out;
  }
  std::vector<std::filesystem::path> local_files(int n) const {
    std::vector<std::filesystem::path> out;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(recordings / "org" / "acme" / "recordings" / call_sid(n), ec))
      out.push_back(e.path());
    return out;
  }
};

// The store's verdicts are only worth something if its SigV4 implementation is right: it
// must reproduce AWS's published signatures (sigv4_selftest.js).
TEST(EvidenceServers, SigV4VerifierReproducesAwsPublishedSignatures) {
  auto r = run_process({"node", (source_dir() / "tests" / "servers" / "sigv4_selftest.js").string()});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("ok"), std::string::npos);
}

const std::vector<std::string> kCallEvents = {"call.started", "recording.completed", "call.ended", "recording.stored"};

TEST_F(EvidenceHostTest, RecordAndDefaultCallsLeaveExactObjectsManifestLastAndSignedEventsInOrder) {
  ASSERT_TRUE(store.start({kBucket}));
  ASSERT_TRUE(receiver.start());
  auto host = start_host(evidence_env(/*keep_local=*/true));
  ASSERT_TRUE(host);

  auto r1 = call(*host, "record", 1, 150);
  EXPECT_EQ(r1.close_code, 1000);
  auto r2 = call(*host, "default", 2, 150);
  EXPECT_EQ(r2.close_code, 1000);
  ASSERT_TRUE(wait_for([&] { return types_for(1).size() == 4 && types_for(2).size() == 4; }, 30))
      << "events so far: " << delivered().size();

  for (int n : {1, 2}) {
    SCOPED_TRACE("call " + std::to_string(n));
    const auto locals = local_files(n);
    // Exactly the call's files under the same relative keys (the default pipeline's
    // transcript included), byte for byte.
    std::set<std::string> expected, stored;
    for (const auto& f : locals) expected.insert(folder_key(n) + f.filename().string());
    for (const auto& k : call_keys(n)) stored.insert(k);
    EXPECT_EQ(stored, expected);
    for (const auto& f : locals)
      EXPECT_EQ(store.object(kBucket, folder_key(n) + f.filename().string()), slurp(f)) << f;
    if (n == 2) {
      EXPECT_TRUE(expected.count(folder_key(n) + "transcript.jsonl")) << "default pipeline writes a transcript";
    }

    // The manifest is the last object of the call to be written, and names its objects.
    int last_put = -1, manifest_put = -1, i = 0;
    for (const auto& r : store.requests()) {
      if (r.url.find(call_sid(n)) != std::string::npos && r.status == 200 && r.method != "GET") {
        last_put = i;
        if (r.url.ends_with(".json")) manifest_put = i;
      }
      ++i;
    }
    EXPECT_GE(manifest_put, 0);
    EXPECT_EQ(manifest_put, last_put);
    std::string manifest;
    for (const auto& f : locals)
      if (f.extension() == ".json") manifest = slurp(f);
    EXPECT_NE(manifest.find("\"object\""), std::string::npos) << manifest;
    EXPECT_NE(manifest.find("\"bucket\" : \"evidence\""), std::string::npos) << manifest;
    EXPECT_EQ(types_for(n), kCallEvents);
  }
  // Every request was authentic and intact; every delivery verified; ids unique.
  for (const auto& r : store.requests()) EXPECT_TRUE(r.verified) << r.method << " " << r.url << " " << r.error;
  std::set<std::string> ids;
  for (const auto& d : receiver.deliveries()) {
    EXPECT_TRUE(d.signature_ok) << d.body;
    EXPECT_TRUE(ids.insert(d.id).second) << "delivered twice: " << d.id;
  }
  EXPECT_EQ(host->stop(), 0);
}

TEST_F(EvidenceHostTest, StoreAndReceiverDownThenUpEverythingArrivesOnceWithTheSameIds) {
  ASSERT_TRUE(store.start({kBucket}));
  const int store_port = store.port();
  store.kill();  // the store is down from the start
  ASSERT_TRUE(receiver.start(0, /*fail_first=*/4));  // and the receiver answers 503 at first
  auto host = start_host(evidence_env(/*keep_local=*/false));
  ASSERT_TRUE(host);

  for (int n : {1, 2}) EXPECT_EQ(call(*host, "record", n, 100).close_code, 1000);
  ASSERT_TRUE(wait_for([&] { return has_line(*host, "upload_retry"); }, 10));
  std::this_thread::sleep_for(std::chrono::seconds(3));  // several retries against a dead store
  auto health = http_request(uint16_t(host->port()), "GET", "/health");
  EXPECT_EQ(health.status, 200) << "a backlog does not take the host out of service";
  EXPECT_NE(health.body.find("\"uploads\":2"), std::string::npos) << health.body << lines_with(*host, "upload_failed");
  for (int n : {1, 2}) EXPECT_FALSE(local_files(n).empty()) << "nothing is deleted before it is stored";

  ASSERT_TRUE(store.start({kBucket}, store_port));
  ASSERT_TRUE(wait_for([&] { return types_for(1).size() == 4 && types_for(2).size() == 4; }, 30));
  for (int n : {1, 2}) {
    EXPECT_TRUE(manifest_stored(n));
    EXPECT_EQ(types_for(n), kCallEvents);
    EXPECT_TRUE(wait_for([&] { return local_files(n).empty(); }, 5)) << "local copies go once stored";
  }
  // Nothing stored twice: one successful write per key.
  std::map<std::string, int> writes;
  for (const auto& r : store.requests())
    if (r.status == 200 && (r.method == "PUT" || r.url.find("uploadId=") != std::string::npos) &&
        r.url.find("partNumber=") == std::string::npos)
      ++writes[r.url.substr(0, r.url.find('?'))];
  for (const auto& [url, count] : writes) EXPECT_EQ(count, 1) << url;
  // Refused deliveries came back with the same webhook-id; each id accepted once.
  std::set<std::string> refused, accepted;
  int refusals = 0;
  for (const auto& d : receiver.deliveries()) {
    EXPECT_TRUE(d.signature_ok);
    if (d.status == 503) refused.insert(d.id), ++refusals;
    if (d.status == 204) {
      EXPECT_TRUE(accepted.insert(d.id).second) << d.id;
    }
  }
  EXPECT_EQ(refusals, 4);
  EXPECT_EQ(accepted.size(), 8u);
  for (const auto& id : refused) EXPECT_TRUE(accepted.count(id)) << id << " was not retried with the same id";
  EXPECT_EQ(host->stop(), 0);
}

TEST_F(EvidenceHostTest, WrongCredentialsGiveAClearErrorAndKeepTheFiles) {
  ASSERT_TRUE(store.start({kBucket}));
  auto env = evidence_env(/*keep_local=*/false);
  env["AWS_SECRET_ACCESS_KEY"] = "not-the-right-secret";
  env.erase("EVENTS_WEBHOOK_URL");
  auto host = start_host(env);
  ASSERT_TRUE(host);
  EXPECT_EQ(call(*host, "record", 1, 100).close_code, 1000);
  ASSERT_TRUE(wait_for([&] { return has_line(*host, "upload_failed"); }, 15));
  EXPECT_TRUE(has_line(*host, "SignatureDoesNotMatch"));
  EXPECT_EQ(local_files(1).size(), 2u) << "the WAV and its manifest stay";
  EXPECT_FALSE(manifest_stored(1));
  EXPECT_EQ(store.keys(kBucket).size(), 0u);
  size_t dead = 0;
  for (const auto& e : std::filesystem::directory_iterator(recordings / ".spool" / "dead" / "uploads")) dead += e.path().extension() == ".json";
  EXPECT_EQ(dead, 1u);
  EXPECT_NE(metrics_text(*host).find("mediaflow_uploads_total{outcome=\"failed\"} 1"), std::string::npos);
  for (const auto& l : host->log_lines()) EXPECT_EQ(l.find("not-the-right-secret"), std::string::npos) << l;
  EXPECT_EQ(host->stop(), 0);
}

TEST_F(EvidenceHostTest, AMissingBucketIsLoggedAndCountedAndTheCallGoesOn) {
  ASSERT_TRUE(store.start({}));  // no bucket: 404 NoSuchBucket
  auto env = evidence_env(/*keep_local=*/false);
  env.erase("EVENTS_WEBHOOK_URL");
  auto host = start_host(env);
  ASSERT_TRUE(host);
  auto r = call(*host, "record", 1, 100);
  EXPECT_EQ(r.close_code, 1000);
  EXPECT_EQ(r.frames_sent, 100u);
  ASSERT_TRUE(wait_for([&] { return has_line(*host, "upload_failed"); }, 15));
  EXPECT_TRUE(has_line(*host, "NoSuchBucket"));
  EXPECT_NE(metrics_text(*host).find("mediaflow_uploads_total{outcome=\"failed\"} 1"), std::string::npos);
  EXPECT_FALSE(local_files(1).empty());
  EXPECT_EQ(host->stop(), 0);
}

// RLIMIT_FSIZE (prlimit) stands for a full disk: every file write past 200 bytes fails with
// EFBIG. The spool cannot hold the events, says so once, counts it, and still delivers them.
TEST_F(EvidenceHostTest, AFullDiskUnderTheSpoolIsLoggedAndCountedAndTheCallGoesOn) {
  ASSERT_TRUE(receiver.start());
  dial::HostProcess host;
  dial::HostProcessOptions o;
  o.binary = "/usr/bin/prlimit";
  o.args = {"--fsize=200", mediaflow_binary().string(), "serve"};
  o.env = {{"PIPELINES_DIR", (source_dir() / "pipelines").string()},
           {"PLUGIN_DIR", plugin_dir().string()},
           {"LOG_LEVEL", "info"},
           {"RECORDINGS_DIR", recordings.string()},
           {"EVENTS_WEBHOOK_URL", receiver.url()},
           {"EVENTS_WEBHOOK_SECRET", WebhookReceiver::kSecret}};
  std::string error;
  ASSERT_TRUE(host.start(o, &error)) << error;
  auto r = call(host, "echo", 1, 100);
  EXPECT_EQ(r.close_code, 1000);
  EXPECT_GT(r.frames_received, 0u) << "the call itself works";
  ASSERT_TRUE(wait_for([&] { return types_for(1).size() == 2; }, 15));
  EXPECT_EQ(types_for(1), (std::vector<std::string>{"call.started", "call.ended"}));
  EXPECT_TRUE(has_line(host, "spool_write_failed"));
  EXPECT_NE(metrics_text(host).find("mediaflow_events_total{type=\"call.started\",outcome=\"spool_error\"} 1"),
            std::string::npos);
  EXPECT_EQ(host.stop(), 0);
}

// SIGTERM while the store is down: the drain waits for the spool until DRAIN_TIMEOUT_SECONDS,
// says what it leaves, and exits cleanly; `mediaflow recover` later finishes the job.
TEST_F(EvidenceHostTest, DrainLeavesWhatCannotBeStoredInTheSpoolAndRecoverFinishesIt) {
  ASSERT_TRUE(store.start({kBucket}));
  const int store_port = store.port();
  store.kill();
  auto env = evidence_env(/*keep_local=*/false);
  env.erase("EVENTS_WEBHOOK_URL");
  env["DRAIN_TIMEOUT_SECONDS"] = "2";
  auto host = start_host(env);
  ASSERT_TRUE(host);
  EXPECT_EQ(call(*host, "record", 1, 100).close_code, 1000);
  ASSERT_TRUE(wait_for([&] { return has_line(*host, "upload_retry"); }, 10));
  EXPECT_EQ(host->stop(), 0);
  EXPECT_TRUE(has_line(*host, "drain_left_in_spool"));
  EXPECT_EQ(local_files(1).size(), 2u);

  ASSERT_TRUE(store.start({kBucket}, store_port));
  std::vector<std::string> recover_env;
  for (const auto& [k, v] : env) recover_env.push_back(k + "=" + v);
  recover_env.push_back("DRAIN_TIMEOUT_SECONDS=30");
  auto r = run_process({mediaflow_binary().string(), "recover", recordings.string()}, recover_env);
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("spool delivered: 0 event(s) and 0 upload(s) pending"), std::string::npos) << r.out;
  EXPECT_TRUE(manifest_stored(1));
  EXPECT_TRUE(local_files(1).empty());
  for (const auto& q : store.requests()) EXPECT_TRUE(q.verified) << q.url;
}

TEST_F(EvidenceHostTest, KilledDuringAMultipartUploadAndAnEventDeliveryBothFinishAfterRestart) {
  ASSERT_TRUE(store.start({kBucket}, 0, /*part_delay_ms=*/2500));
  // The second delivery (recording.completed) is never answered: the host is inside it when killed.
  ASSERT_TRUE(receiver.start(0, 0, 0, /*hold_nth=*/2));
  auto env = evidence_env(/*keep_local=*/true);
  env["RECORDINGS_MULTIPART_THRESHOLD_BYTES"] = std::to_string(5 << 20);
  env["RECORDINGS_MULTIPART_PART_BYTES"] = std::to_string(5 << 20);
  auto host = start_host(env);
  ASSERT_TRUE(host);
  // 350 s of call: a 16 kHz WAV of ~11.2 MB, three parts of 5 MiB at most.
  EXPECT_EQ(call(*host, "record", 1, 17500).close_code, 1000);
  // The spool records part 1 as stored (part 2 is then on its way, slowed by the store).
  auto part_one_recorded = [&] {
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(recordings / ".spool" / "uploads", ec))
      if (e.path().extension() == ".json" &&  // not a write in progress (.tmp), which a kill discards
          slurp(e.path()).find("\"part_etags\":[\"") != std::string::npos)
        return true;
    return false;
  };
  ASSERT_TRUE(wait_for(part_one_recorded, 30)) << [&] {
    std::string out = "store saw:\n";
    for (const auto& r : store.requests()) out += r.method + " " + r.url + " " + std::to_string(r.status) + "\n";
    for (const auto& l : host->log_lines()) out += l + "\n";
    return out;
  }();
  ASSERT_EQ(::kill(host->pid(), SIGKILL), 0);
  host->stop();
  const size_t deliveries_before = receiver.deliveries().size();
  std::string wav_key;
  for (const auto& f : local_files(1))
    if (f.extension() == ".wav") wav_key = folder_key(1) + f.filename().string();
  ASSERT_FALSE(wav_key.empty());
  EXPECT_FALSE(store.object(kBucket, wav_key)) << "no partial object under the final key";

  auto again = start_host(env);
  ASSERT_TRUE(again);
  auto stored_announced = [&] {
    const auto t = types_for(1);
    return std::find(t.begin(), t.end(), "recording.stored") != t.end();
  };
  ASSERT_TRUE(wait_for([&] { return stored_announced() && manifest_stored(1); }, 60))
      << "deliveries: " << receiver.deliveries().size();
  EXPECT_EQ(store.object(kBucket, wav_key), slurp(recordings / std::filesystem::path(wav_key).lexically_relative(kPrefix)));
  // Resumed, not restarted: one CreateMultipartUpload, part 1 stored once.
  int creates = 0, part_ones = 0;
  for (const auto& r : store.requests()) {
    creates += r.method == "POST" && r.url.find("?uploads") != std::string::npos;
    part_ones += r.url.find("partNumber=1&") != std::string::npos && r.status == 200;
  }
  std::string seen_requests;
  for (const auto& r : store.requests()) seen_requests += r.method + " " + r.url + " " + std::to_string(r.status) + "\n";
  EXPECT_EQ(creates, 1) << seen_requests;
  EXPECT_EQ(part_ones, 1) << seen_requests;
  // The delivery cut by the kill came again with its id; every event arrived, in order.
  ASSERT_EQ(deliveries_before, 2u) << "call.started answered, recording.completed held";
  const std::string in_flight = receiver.deliveries()[1].id;
  int seen = 0;
  for (const auto& d : receiver.deliveries()) seen += d.id == in_flight;
  EXPECT_EQ(seen, 2) << in_flight;
  std::vector<std::string> unique_types;
  std::set<std::string> ids;
  for (const auto& d : delivered())
    if (d.call_sid == call_sid(1) && ids.insert(d.id).second) unique_types.push_back(d.type);
  EXPECT_EQ(unique_types, kCallEvents);
  for (const auto& r : store.requests()) EXPECT_TRUE(r.verified) << r.url << " " << r.error;
  EXPECT_EQ(again->stop(), 0);
}

}  // namespace
}  // namespace mediaflow::test
