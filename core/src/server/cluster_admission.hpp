// Cluster-wide call limits in Redis (REDIS_URL, CLUSTER_MAX_CONCURRENT_CALLS,
// CAMPAIGN_MAX_CONCURRENT_CALLS): a call takes a lease at `start`, atomically against both
// limits (one Lua script over sorted sets whose scores are the leases' expiry times), keeps it
// fresh while live and gives it back however it ends; a host that dies loses its leases within
// CONCURRENCY_LEASE_TTL_SECONDS. One hiredis async connection per worker loop, its socket in
// the loop's epoll set and its deadlines on the same dispatcher's timers (hiredis' event hooks,
// as our own connections do; its GLib adapter would add a GSource per loop): nothing here blocks
// a media loop, and a call's start never waits longer than REDIS_TIMEOUT_MS. Worker thread only.
#pragma once

#include <mediaflow/net/epoll_dispatcher.hpp>
#include <mediaflow/server/config.hpp>
#include <mediaflow/server/redis_url.hpp>

#include <glib.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

struct redisAsyncContext;

namespace mediaflow::server {

class ClusterAdmission final : private net::EpollDispatcher::Handler {
 public:
  enum class Decision { kAdmitted, kRefusedCluster, kRefusedCampaign, kUnavailable };
  using Done = std::function<void(Decision)>;

  ClusterAdmission(const ServerConfig& config, GMainContext* context);
  ~ClusterAdmission();
  ClusterAdmission(const ClusterAdmission&) = delete;
  ClusterAdmission& operator=(const ClusterAdmission&) = delete;

  // Asks for a lease for a new call (`campaign` may be empty: it then counts only globally).
  // `done` runs exactly once on this loop, possibly before acquire() returns: kUnavailable when
  // Redis is not connected, answers an error, or not within the timeout. Returns the lease's id:
  // release() it when the call ends, whatever the decision (a late "yes" is then undone too).
  std::string acquire(const std::string& campaign, Done done);
  void release(const std::string& lease);
  bool connected() const { return connected_; }

 private:
  struct Lease {
    std::string campaign;
    bool in_flight = true;  // acquire not answered yet: not refreshed
    bool released = false;  // the call ended while in flight: undone when Redis answers
  };
  struct Request;

  void on_io(std::uint32_t events) override;
  void watch(std::uint32_t add, std::uint32_t remove);
  static void ev_add_read(void* self);
  static void ev_del_read(void* self);
  static void ev_add_write(void* self);
  static void ev_del_write(void* self);
  static void ev_cleanup(void* self);
  void connect();
  void schedule_reconnect();
  void set_connected(bool up, const char* why);
  void drop_connection();
  void remove_lease(const std::string& lease, const std::string& campaign);
  void refresh_all();
  void command(std::initializer_list<std::string> args, Request* request = nullptr);
  std::string global_key() const;
  std::string campaign_key(const std::string& campaign) const;
  static void on_connect(const redisAsyncContext* ac, int status);
  static void on_disconnect(const redisAsyncContext* ac, int status);
  static void on_reply(redisAsyncContext* ac, void* reply, void* privdata);

  const ServerConfig& config_;
  RedisUrl url_;
  std::shared_ptr<net::EpollDispatcher> epoll_;  // before the timers: they must not outlive it
  net::EpollDispatcher::Timer reconnect_timer_;
  net::EpollDispatcher::Timer refresh_timer_;
  redisAsyncContext* redis_ = nullptr;
  int fd_ = -1;                 // redis_'s socket while it is in the epoll set
  std::uint32_t interest_ = 0;  // EPOLLIN / EPOLLOUT as hiredis asked
  bool connected_ = false;
  bool unreachable_logged_ = false;
  bool closing_ = false;
  unsigned backoff_ms_ = 100;
  std::uint64_t next_lease_ = 0;
  std::string lease_prefix_;  // instance id + random: unique across the fleet and restarts
  std::unordered_map<std::string, Lease> leases_;
};

}  // namespace mediaflow::server
