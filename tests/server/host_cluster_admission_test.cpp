// Cluster-wide and per-campaign call limits in a real redis-server, enforced by hosts that
// share it: the N+1st call is refused 1013 whichever host it reaches, a lease is released
// however a call ends, a host that dies loses its leases within the TTL, and Redis going away
// never cuts a live call (CONCURRENCY_ON_REDIS_ERROR decides about new ones).
#include "server/host_fixture.hpp"
#include "support/host_process.hpp"
#include "support/redis_server.hpp"

#include <signal.h>

namespace mediaflow::test {
namespace {

namespace tw = protocol::twilio;
constexpr const char* kLeases = "{mediaflow}:leases";

std::string sid(const char* prefix, int n) {
  char s[40];
  std::snprintf(s, sizeof s, "%s%032d", prefix, n);
  return s;
}

// A call that has sent its start; `campaign` as customParameters.campaign_id when not empty.
struct Call {
  RawWebSocket ws;
  int n = 0;
  int frames_sent = 0;
  bool open(uint16_t port, int index, const std::string& campaign = "") {
    n = index;
    if (ws.connect(port, "/rtm/voice") != 101) return false;
    tw::StartEvent s;
    s.stream_sid = sid("MZ", n);
    s.call_sid = sid("CA", n);
    s.account_sid = "AC00000000000000000000000000000001";
    s.tracks = {"inbound"};
    s.custom_parameters["pipeline"] = "echo";
    if (!campaign.empty()) s.custom_parameters["campaign_id"] = campaign;
    s.media_format = {"audio/x-mulaw", 8000, 1};
    return ws.send_text(tw::encode_start(1, s));
  }
  // Echo round trip: the call is live and its pipeline runs.
  bool echoes(int frames = 3) {
    auto sent = HostTest::send_media(ws, frames, uint8_t(n), sid("MZ", n), frames_sent);  // timestamps go on
    frames_sent += frames;
    std::vector<uint8_t> back;
    for (int i = 0; i < 50 && back.size() < sent.size(); ++i) {
      auto f = ws.read_frame(2000);
      if (!f) return false;
      if (f->opcode != 1 || f->payload.find("\"media\"") == std::string::npos) continue;
      back.resize(back.size() + 160);
    }
    return back.size() == sent.size();
  }
  uint16_t stop() {
    ws.send_text(tw::encode_stop(99, sid("MZ", n), "AC", "CA"));
    return ws.wait_close(8000);
  }
};

class ClusterAdmissionTest : public HostTest {
 protected:
  void SetUp() override {
    HostTest::SetUp();
    ASSERT_TRUE(redis_.start()) << "redis-server";
    config_.redis_url = redis_.url();
    config_.concurrency_lease_ttl_seconds = 3;
    config_.redis_timeout_ms = 500;  // a loaded test machine, not a production bound
  }
  // A second host sharing Redis: a fleet of two in one process.
  std::unique_ptr<server::Host> second_host() {
    auto h = std::make_unique<server::Host>(config_, catalog_);
    std::string error;
    EXPECT_TRUE(h->start(&error)) << error;
    return h;
  }
  bool redis_up_everywhere() {
    return eventually([] { return metrics().redis_connected().value() >= 2; });
  }
  RedisServer redis_;
};

TEST_F(ClusterAdmissionTest, TheClusterLimitHoldsAcrossHostsAndAReleasedLeaseAdmitsTheNextCall) {
  config_.cluster_max_concurrent_calls = 2;
  ASSERT_NO_FATAL_FAILURE(start_host());
  auto other = second_host();
  ASSERT_TRUE(eventually([] { return metrics().redis_connected().value() == 4; }));  // 2 workers × 2 hosts
  const auto refused_before = metrics().calls_refused("cluster").value();
  Call a, b, c, d, e;
  ASSERT_TRUE(a.open(port(), 1));
  ASSERT_TRUE(a.echoes());
  ASSERT_TRUE(b.open(other->port(), 2));
  ASSERT_TRUE(b.echoes());
  EXPECT_EQ(redis_.zcard(kLeases), 2);
  ASSERT_TRUE(c.open(port(), 3));
  EXPECT_EQ(c.ws.wait_close(), 1013) << "third call on the first host";
  ASSERT_TRUE(d.open(other->port(), 4));
  EXPECT_EQ(d.ws.wait_close(), 1013) << "third call on the second host";
  EXPECT_EQ(metrics().calls_refused("cluster").value(), refused_before + 2);
  EXPECT_EQ(a.stop(), 1000);
  ASSERT_TRUE(eventually([&] { return redis_.zcard(kLeases) == 1; })) << "the ended call's lease is released";
  ASSERT_TRUE(e.open(other->port(), 5));
  EXPECT_TRUE(e.echoes()) << "released capacity admits the next call";
  EXPECT_EQ(b.stop(), 1000);
  EXPECT_EQ(e.stop(), 1000);
  EXPECT_TRUE(eventually([&] { return redis_.zcard(kLeases) <= 0; }));
  other->stop();
}

TEST_F(ClusterAdmissionTest, ACampaignLimitRefusesOnlyThatCampaign) {
  config_.campaign_max_concurrent_calls = 1;
  ASSERT_NO_FATAL_FAILURE(start_host());
  ASSERT_TRUE(eventually([] { return metrics().redis_connected().value() == 2; }));
  Call a, b, c, d;
  ASSERT_TRUE(a.open(port(), 1, "spring-sale"));
  ASSERT_TRUE(a.echoes());
  ASSERT_TRUE(b.open(port(), 2, "spring-sale"));
  EXPECT_EQ(b.ws.wait_close(), 1013);
  EXPECT_EQ(metrics().calls_refused("campaign").value(), 1u);
  ASSERT_TRUE(c.open(port(), 3, "renewals"));
  EXPECT_TRUE(c.echoes()) << "another campaign";
  ASSERT_TRUE(d.open(port(), 4));
  EXPECT_TRUE(d.echoes()) << "a call without campaign counts only globally";
  EXPECT_EQ(redis_.zcard("{mediaflow}:campaign:spring-sale"), 1);
  EXPECT_EQ(redis_.zcard(kLeases), 3);
}

TEST_F(ClusterAdmissionTest, RedisGoneWithAllowAdmitsUnderTheLocalLimitCutsNothingAndLeasesResume) {
  config_.cluster_max_concurrent_calls = 10;
  config_.max_concurrent_calls = 2;
  ASSERT_NO_FATAL_FAILURE(start_host());
  ASSERT_TRUE(eventually([] { return metrics().redis_connected().value() == 2; }));
  Call live, during, over_local;
  ASSERT_TRUE(live.open(port(), 1));
  ASSERT_TRUE(live.echoes());
  redis_.stop();
  ASSERT_TRUE(eventually([] { return metrics().redis_connected().value() == 0; }));
  EXPECT_TRUE(live.echoes()) << "a live call is never cut by Redis going away";
  ASSERT_TRUE(during.open(port(), 2));
  EXPECT_TRUE(during.echoes()) << "allow: admitted while Redis is away";
  ASSERT_TRUE(over_local.open(port(), 3));
  EXPECT_EQ(over_local.ws.wait_close(), 1013) << "the local limit still holds";
  ASSERT_TRUE(redis_.start());
  ASSERT_TRUE(eventually([] { return metrics().redis_connected().value() == 2; }, 8000)) << "reconnects by itself";
  EXPECT_TRUE(eventually([&] { return redis_.zcard(kLeases) == 2; }, 5000)) << "both live calls hold a lease again";
  EXPECT_EQ(live.stop(), 1000);
  EXPECT_EQ(during.stop(), 1000);
}

TEST_F(ClusterAdmissionTest, RedisGoneWithRefuseRefusesNewCallsButNeverCutsALiveOne) {
  config_.cluster_max_concurrent_calls = 10;
  config_.refuse_on_redis_error = true;
  ASSERT_NO_FATAL_FAILURE(start_host());
  ASSERT_TRUE(eventually([] { return metrics().redis_connected().value() == 2; }));
  Call live, refused;
  ASSERT_TRUE(live.open(port(), 1));
  ASSERT_TRUE(live.echoes());
  redis_.stop();
  ASSERT_TRUE(eventually([] { return metrics().redis_connected().value() == 0; }));
  ASSERT_TRUE(refused.open(port(), 2));
  EXPECT_EQ(refused.ws.wait_close(), 1013);
  EXPECT_TRUE(live.echoes());
  EXPECT_EQ(live.stop(), 1000);
  EXPECT_TRUE(eventually([&] { return host_->active_calls() == 0; }));
}

TEST_F(ClusterAdmissionTest, AHostKilledWithLiveCallsLosesItsLeasesWithinTheTtl) {
  auto victim = ::mediaflow::test::start_host({{"REDIS_URL", redis_.url()}, {"CLUSTER_MAX_CONCURRENT_CALLS", "2"},
                            {"CONCURRENCY_LEASE_TTL_SECONDS", "3"}, {"REDIS_TIMEOUT_MS", "500"}});
  ASSERT_TRUE(victim);
  Call a, b;
  ASSERT_TRUE(a.open(uint16_t(victim->port()), 1));
  ASSERT_TRUE(a.echoes());
  ASSERT_TRUE(b.open(uint16_t(victim->port()), 2));
  ASSERT_TRUE(b.echoes());
  EXPECT_EQ(redis_.zcard(kLeases), 2);
  ::kill(victim->pid(), SIGKILL);
  const auto killed = std::chrono::steady_clock::now();
  ASSERT_TRUE(eventually([&] { return redis_.zcard(kLeases) <= 0; }, 6000));
  EXPECT_LE(std::chrono::steady_clock::now() - killed, std::chrono::milliseconds(3000 + 1000));
  config_.cluster_max_concurrent_calls = 2;
  ASSERT_NO_FATAL_FAILURE(start_host());
  ASSERT_TRUE(eventually([] { return metrics().redis_connected().value() == 2; }));
  Call c;
  ASSERT_TRUE(c.open(port(), 3));
  EXPECT_TRUE(c.echoes()) << "the dead host's capacity is free again";
}

}  // namespace
}  // namespace mediaflow::test
