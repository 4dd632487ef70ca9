#include "server/cluster_admission.hpp"

#include <mediaflow/log.hpp>
#include <mediaflow/metrics.hpp>

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <sys/epoll.h>

#include <algorithm>
#include <cstring>
#include <vector>

namespace mediaflow::server {
namespace {

// KEYS[1] every live call's lease, KEYS[2] the campaign's (absent for a call without one).
// ARGV: lease, ttl ms, cluster limit, campaign limit (0 = none). Scores are expiry times on
// Redis' own clock (TIME), so hosts with skewed clocks agree; expired leases (a host that died)
// are dropped before counting. Returns "ok", or the limit that refused: "cluster" | "campaign".
constexpr const char* kAcquireScript = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local cluster = tonumber(ARGV[3])
if cluster > 0 and redis.call('ZCARD', KEYS[1]) >= cluster then return 'cluster' end
if #KEYS > 1 then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
  local campaign = tonumber(ARGV[4])
  if campaign > 0 and redis.call('ZCARD', KEYS[2]) >= campaign then return 'campaign' end
end
for i = 1, #KEYS do
  redis.call('ZADD', KEYS[i], now + ttl, ARGV[1])
  redis.call('PEXPIRE', KEYS[i], ttl)
end
return 'ok'
)lua";

// Same keys; ARGV: lease, ttl ms. Moves a live call's expiry on (and puts back a lease lost
// while Redis was away: the call is live, so it counts).
constexpr const char* kRefreshScript = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[2])
for i = 1, #KEYS do
  redis.call('ZADD', KEYS[i], now + ttl, ARGV[1])
  redis.call('PEXPIRE', KEYS[i], ttl)
end
return 1
)lua";

constexpr unsigned kMaxBackoffMs = 2000;

}  // namespace

// One command in flight whose answer someone waits for (an acquire), or nullptr for
// fire-and-forget commands (refresh, release, AUTH, SELECT).
struct ClusterAdmission::Request {
  ClusterAdmission* self;
  std::string lease;
  Done done;
  net::EpollDispatcher::Timer timeout;
  bool answered = false;

  void answer(Decision d) {
    if (answered) return;
    answered = true;
    timeout.cancel();
    Done fn = std::move(done);
    fn(d);
  }
};

ClusterAdmission::ClusterAdmission(const ServerConfig& config, GMainContext* context)
    : config_(config), epoll_(net::EpollDispatcher::for_context(context)) {
  std::string why;
  url_ = *parse_redis_url(config.redis_url, &why);  // checked by ServerConfig::from_env / Host
  gchar* uuid = g_uuid_string_random();
  lease_prefix_ = config.instance_id + ":" + std::string(uuid, 8) + ":";
  g_free(uuid);
  connect();
  refresh_all();  // arms the refresh timer
}

ClusterAdmission::~ClusterAdmission() {
  closing_ = true;
  reconnect_timer_.cancel();
  refresh_timer_.cancel();
  // Answers every pending request (reply = NULL) and runs ev_cleanup; leases are not released
  // here: a host that stops lets them expire, like one that dies.
  if (redis_) redisAsyncFree(redis_);
  redis_ = nullptr;
}

void ClusterAdmission::connect() {
  redisAsyncContext* ac = redisAsyncConnect(url_.host.c_str(), url_.port);
  if (!ac || ac->err) {
    metrics().redis_errors("connect").inc();
    if (!unreachable_logged_) log::warn("redis_unreachable", {{"host", url_.host}, {"port", url_.port},
                                                              {"error", ac ? ac->errstr : "cannot allocate"}});
    unreachable_logged_ = true;
    if (ac) redisAsyncFree(ac);
    schedule_reconnect();
    return;
  }
  ac->data = this;
  redis_ = ac;
  fd_ = ac->c.fd;
  ac->ev.data = this;
  ac->ev.addRead = ev_add_read;
  ac->ev.delRead = ev_del_read;
  ac->ev.addWrite = ev_add_write;
  ac->ev.delWrite = ev_del_write;
  ac->ev.cleanup = ev_cleanup;
  redisAsyncSetConnectCallback(ac, on_connect);
  redisAsyncSetDisconnectCallback(ac, on_disconnect);
  // Queued until the connection is up, and answered before anything sent after them.
  if (!url_.password.empty()) {
    if (url_.user.empty()) command({"AUTH", url_.password});
    else command({"AUTH", url_.user, url_.password});
  }
  if (url_.db) command({"SELECT", std::to_string(url_.db)});
}

// hiredis' event hooks: which readiness it waits for on its socket.
void ClusterAdmission::ev_add_read(void* self) { static_cast<ClusterAdmission*>(self)->watch(EPOLLIN, 0); }
void ClusterAdmission::ev_del_read(void* self) { static_cast<ClusterAdmission*>(self)->watch(0, EPOLLIN); }
void ClusterAdmission::ev_add_write(void* self) { static_cast<ClusterAdmission*>(self)->watch(EPOLLOUT, 0); }
void ClusterAdmission::ev_del_write(void* self) { static_cast<ClusterAdmission*>(self)->watch(0, EPOLLOUT); }
void ClusterAdmission::ev_cleanup(void* self) {
  auto* me = static_cast<ClusterAdmission*>(self);
  if (me->fd_ >= 0 && me->epoll_) me->epoll_->remove(me->fd_, me);
  me->fd_ = -1;
  me->interest_ = 0;
}

void ClusterAdmission::watch(std::uint32_t add, std::uint32_t remove) {
  if (fd_ < 0 || !epoll_) return;
  const bool registered = interest_ != 0;
  interest_ = (interest_ | add) & ~remove;
  if (!registered) {
    if (interest_) epoll_->add(fd_, interest_, this);
  } else if (interest_) {
    epoll_->modify(fd_, interest_, this);
  } else {
    epoll_->remove(fd_, this);
  }
}

void ClusterAdmission::on_io(std::uint32_t events) {
  // Either call may end the context (a failed connect, a closed connection): redis_ is then null.
  if (redis_ && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) && (interest_ & EPOLLOUT)) redisAsyncHandleWrite(redis_);
  if (redis_ && (events & (EPOLLIN | EPOLLERR | EPOLLHUP))) redisAsyncHandleRead(redis_);
}

void ClusterAdmission::schedule_reconnect() {
  if (closing_ || !epoll_) return;
  reconnect_timer_.arm_in_ms(*epoll_, backoff_ms_, [this] { connect(); });
  backoff_ms_ = std::min(kMaxBackoffMs, backoff_ms_ * 2);
}

void ClusterAdmission::set_connected(bool up, const char* why) {
  if (up == connected_) return;
  connected_ = up;
  if (up) {
    backoff_ms_ = 100;
    unreachable_logged_ = false;
    metrics().redis_connected().inc();
    log::info("redis_connected", {{"host", url_.host}, {"port", url_.port}});
    refresh_all();  // leases of calls admitted while Redis was away count again
  } else {
    metrics().redis_connected().dec();
    unreachable_logged_ = true;  // this line says it; reconnect failures stay quiet until it works
    log::warn("redis_disconnected", {{"host", url_.host}, {"port", url_.port}, {"error", why ? why : "?"}});
  }
}

// hiredis frees the context after its connect-failure or disconnect callback (ev_cleanup
// takes the socket out of the epoll set).
void ClusterAdmission::drop_connection() { redis_ = nullptr; }

void ClusterAdmission::on_connect(const redisAsyncContext* ac, int status) {
  auto* self = static_cast<ClusterAdmission*>(ac->data);
  if (status == REDIS_OK) {
    self->set_connected(true, nullptr);
    return;
  }
  self->drop_connection();
  metrics().redis_errors("connect").inc();
  if (!self->unreachable_logged_)
    log::warn("redis_unreachable", {{"host", self->url_.host}, {"port", self->url_.port}, {"error", ac->errstr}});
  self->unreachable_logged_ = true;
  self->schedule_reconnect();
}

void ClusterAdmission::on_disconnect(const redisAsyncContext* ac, int status) {
  auto* self = static_cast<ClusterAdmission*>(ac->data);
  self->drop_connection();
  if (self->closing_) return;
  if (status != REDIS_OK) metrics().redis_errors("disconnected").inc();
  self->set_connected(false, status == REDIS_OK ? "closed" : ac->errstr);
  self->schedule_reconnect();
}

void ClusterAdmission::command(std::initializer_list<std::string> args, Request* request) {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  for (const auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  if (!redis_ || redisAsyncCommandArgv(redis_, on_reply, request, int(argv.size()), argv.data(), lens.data()) != REDIS_OK) {
    if (request) {
      request->answer(Decision::kUnavailable);
      delete request;
    }
  }
}

std::string ClusterAdmission::global_key() const { return "{mediaflow}:leases"; }
std::string ClusterAdmission::campaign_key(const std::string& campaign) const {
  return "{mediaflow}:campaign:" + campaign;
}

std::string ClusterAdmission::acquire(const std::string& campaign, Done done) {
  const std::string lease = lease_prefix_ + std::to_string(++next_lease_);
  leases_[lease] = Lease{campaign, true};
  auto* request = new Request{.self = this, .lease = lease, .done = std::move(done), .timeout = {}};
  if (!connected_) {
    metrics().redis_errors("not_connected").inc();
    leases_[lease].in_flight = false;
    request->answer(Decision::kUnavailable);
    delete request;
    return lease;
  }
  request->timeout.arm_in_ms(*epoll_, config_.redis_timeout_ms, [request] {
    metrics().redis_errors("timeout").inc();
    request->answer(Decision::kUnavailable);  // the request itself stays until Redis answers
  });
  const std::string ttl_ms = std::to_string(config_.concurrency_lease_ttl_seconds * 1000ull);
  const std::string cluster = std::to_string(config_.cluster_max_concurrent_calls);
  const std::string per_campaign = std::to_string(config_.campaign_max_concurrent_calls);
  if (campaign.empty()) {
    command({"EVAL", kAcquireScript, "1", global_key(), lease, ttl_ms, cluster, per_campaign}, request);
  } else {
    command({"EVAL", kAcquireScript, "2", global_key(), campaign_key(campaign), lease, ttl_ms, cluster, per_campaign},
            request);
  }
  return lease;
}

void ClusterAdmission::on_reply(redisAsyncContext* ac, void* reply_ptr, void* privdata) {
  auto* request = static_cast<Request*>(privdata);
  if (!request) return;  // fire-and-forget
  auto* self = static_cast<ClusterAdmission*>(ac->data);
  auto* reply = static_cast<redisReply*>(reply_ptr);
  Decision d = Decision::kUnavailable;
  if (!reply) {
    // disconnected or freed: no answer
  } else if (reply->type == REDIS_REPLY_STRING || reply->type == REDIS_REPLY_STATUS) {
    const std::string_view text(reply->str, reply->len);
    d = text == "ok" ? Decision::kAdmitted : text == "campaign" ? Decision::kRefusedCampaign : Decision::kRefusedCluster;
  } else {
    if (!self->closing_) {
      metrics().redis_errors("reply").inc();
      log::warn("redis_error", {{"error", reply->type == REDIS_REPLY_ERROR ? std::string(reply->str, reply->len) : "unexpected reply"}});
    }
  }
  if (!self->closing_) {
    auto it = self->leases_.find(request->lease);
    if (it != self->leases_.end()) {
      it->second.in_flight = false;
      if (it->second.released) {
        // The call ended (or was refused on a timeout) before Redis answered: undo a "yes".
        const std::string campaign = it->second.campaign;
        self->leases_.erase(it);
        if (d == Decision::kAdmitted) self->remove_lease(request->lease, campaign);
      }
    }
    request->answer(d);
  }
  delete request;
}

void ClusterAdmission::release(const std::string& lease) {
  auto it = leases_.find(lease);
  if (it == leases_.end()) return;
  if (it->second.in_flight) {
    it->second.released = true;
    return;
  }
  const std::string campaign = it->second.campaign;
  leases_.erase(it);
  remove_lease(lease, campaign);
}

void ClusterAdmission::remove_lease(const std::string& lease, const std::string& campaign) {
  if (!connected_) return;  // it expires by itself within the TTL
  command({"ZREM", global_key(), lease});
  if (!campaign.empty()) command({"ZREM", campaign_key(campaign), lease});
}

void ClusterAdmission::refresh_all() {
  // Leases live CONCURRENCY_LEASE_TTL_SECONDS; refreshed at a third of that, so two refreshes
  // may be lost before a live call's lease expires.
  if (epoll_ && !closing_)
    refresh_timer_.arm_in_ms(*epoll_, std::max(1000u, config_.concurrency_lease_ttl_seconds * 1000 / 3),
                             [this] { refresh_all(); });
  if (!connected_) return;
  const std::string ttl_ms = std::to_string(config_.concurrency_lease_ttl_seconds * 1000ull);
  for (const auto& [lease, l] : leases_) {
    if (l.in_flight) continue;
    if (l.campaign.empty()) command({"EVAL", kRefreshScript, "1", global_key(), lease, ttl_ms});
    else command({"EVAL", kRefreshScript, "2", global_key(), campaign_key(l.campaign), lease, ttl_ms});
  }
}

}  // namespace mediaflow::server
