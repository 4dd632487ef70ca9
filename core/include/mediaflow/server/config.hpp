// Host configuration from the environment (design.md, "Environment"). All optional.
#pragma once

#include <mediaflow/evidence/evidence_config.hpp>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <string>

namespace mediaflow::server {

struct ServerConfig {
  std::string bind = "0.0.0.0";
  uint16_t port = 8080;           // 0 = any free port (tests); the bound port is logged
  std::string ws_path = "/rtm/voice";
  std::string media_auth_token;    // MEDIA_AUTH_TOKEN
  std::string media_shared_secret; // MEDIA_SHARED_SECRET
  std::filesystem::path pipelines_dir = "./pipelines";
  std::string default_pipeline = "default";
  std::filesystem::path plugin_dir;  // empty = plugin_registry's default
  std::filesystem::path recordings_dir = "./recordings";
  unsigned max_concurrent_calls = 1000;
  std::size_t max_message_bytes = 65536;
  unsigned idle_timeout_seconds = 30;
  // An upgraded connection that has not sent `start` within this is closed (it is not a call and
  // holds no call slot meanwhile); 0 = no limit.
  unsigned start_timeout_seconds = 5;
  // How far a track's audio may run ahead of real time (jitter, bursts) before frames are
  // dropped and counted; 0 = no bound.
  unsigned inbound_media_allowance_ms = 5000;
  unsigned drain_timeout_seconds = 30;
  // After SIGTERM, /health is 503 at once but new calls are still admitted for this long, so a
  // load balancer that probes has time to notice before anyone is refused (lame duck).
  unsigned drain_lame_duck_seconds = 0;
  unsigned keepalive_interval_seconds = 15;  // WebSocket ping
  unsigned pong_timeout_seconds = 30;        // no pong (nor any message) for this long: closed
  std::size_t max_outbound_queue_bytes = 1 << 20;  // backpressure: beyond this, outbound audio is dropped
  // SO_SNDBUF of a call's socket; 0 = kernel autotuning. Bounded so a caller that stops reading
  // shows up in our own queue (and its drops) within seconds, not after megabytes of kernel buffer.
  std::size_t socket_send_buffer_bytes = 64 * 1024;
  // Before the WebSocket upgrade: a request must be complete this long after accept, else the
  // connection is closed (slowloris, idle sockets).
  unsigned handshake_timeout_seconds = 10;
  // Connections accepted but not upgraded (reading a request or finishing an answer), across
  // all workers; above it a new connection is closed at once. Bounds the fds and memory an
  // attacker can hold without completing a handshake.
  unsigned max_pending_connections = 1024;
  unsigned workers = 0;                      // event loops; 0 = one per core
  // Cluster-wide admission in Redis (empty URL: only MAX_CONCURRENT_CALLS applies).
  std::string redis_url;                     // REDIS_URL
  unsigned cluster_max_concurrent_calls = 0; // CLUSTER_MAX_CONCURRENT_CALLS; 0 = no cluster limit
  unsigned campaign_max_concurrent_calls = 0;// CAMPAIGN_MAX_CONCURRENT_CALLS, per customParameters.campaign_id
  unsigned concurrency_lease_ttl_seconds = 60;
  bool refuse_on_redis_error = false;        // CONCURRENCY_ON_REDIS_ERROR=refuse (default allow)
  unsigned redis_timeout_ms = 50;            // REDIS_TIMEOUT_MS: the longest a call's start waits on Redis
  std::string instance_id;                   // INSTANCE_ID; default the host name
  std::string public_base_url;               // PUBLIC_BASE_URL: the origin transports' webhooks answer with
  // Settings transports' webhooks read by name (their secrets, e.g.), consulted before the
  // environment: in-process hosts (tests) set them here instead of calling setenv.
  std::map<std::string, std::string, std::less<>> transport_settings;
  evidence::EvidenceConfig evidence;         // uploads, webhooks, spool (docs/evidence.md)

  // Reads the environment; throws std::invalid_argument naming the variable on a bad value.
  static ServerConfig from_env();
};

}  // namespace mediaflow::server
