#include <mediaflow/server/config.hpp>
#include <mediaflow/server/redis_url.hpp>

#include <glib.h>

#include <mediaflow/env.hpp>

#include <stdexcept>
#include <thread>

namespace mediaflow::server {

ServerConfig ServerConfig::from_env() {
  ServerConfig c;
  env::string("BIND", c.bind);
  c.port = static_cast<uint16_t>(env::number("PORT", c.port, 65535));
  env::string("WS_PATH", c.ws_path);
  if (c.ws_path.empty() || c.ws_path[0] != '/') throw std::invalid_argument("WS_PATH: must start with '/'");
  while (c.ws_path.size() > 1 && c.ws_path.back() == '/') c.ws_path.pop_back();
  env::string("MEDIA_AUTH_TOKEN", c.media_auth_token);
  env::string("MEDIA_SHARED_SECRET", c.media_shared_secret);
  if (const char* v = env::value("PIPELINES_DIR")) c.pipelines_dir = v;
  env::string("DEFAULT_PIPELINE", c.default_pipeline);
  if (const char* v = env::value("PLUGIN_DIR")) c.plugin_dir = v;
  if (const char* v = env::value("RECORDINGS_DIR")) c.recordings_dir = v;
  c.max_concurrent_calls = env::number("MAX_CONCURRENT_CALLS", c.max_concurrent_calls, 1000000);
  c.max_message_bytes = env::number("MAX_MESSAGE_BYTES", c.max_message_bytes, 64ul << 20);
  c.idle_timeout_seconds = env::number("IDLE_TIMEOUT_SECONDS", c.idle_timeout_seconds, 86400);
  c.start_timeout_seconds = env::number("START_TIMEOUT_SECONDS", c.start_timeout_seconds, 3600);
  c.inbound_media_allowance_ms = env::number("INBOUND_MEDIA_ALLOWANCE_MS", c.inbound_media_allowance_ms, 3600000);
  c.drain_timeout_seconds = env::number("DRAIN_TIMEOUT_SECONDS", c.drain_timeout_seconds, 86400);
  c.drain_lame_duck_seconds = env::number("DRAIN_LAME_DUCK_SECONDS", c.drain_lame_duck_seconds, 3600);
  c.keepalive_interval_seconds = env::number("KEEPALIVE_INTERVAL_SECONDS", c.keepalive_interval_seconds, 3600);
  c.pong_timeout_seconds = env::number("PONG_TIMEOUT_SECONDS", 2 * c.keepalive_interval_seconds, 86400);
  c.max_outbound_queue_bytes = env::number("MAX_OUTBOUND_QUEUE_BYTES", c.max_outbound_queue_bytes, 1ul << 30);
  c.socket_send_buffer_bytes = env::number("SOCKET_SEND_BUFFER_BYTES", c.socket_send_buffer_bytes, 64ul << 20);
  c.handshake_timeout_seconds = env::number("HANDSHAKE_TIMEOUT_SECONDS", c.handshake_timeout_seconds, 3600);
  if (c.handshake_timeout_seconds == 0) throw std::invalid_argument("HANDSHAKE_TIMEOUT_SECONDS: must be at least 1");
  c.max_pending_connections = env::number("MAX_PENDING_CONNECTIONS", c.max_pending_connections, 1000000);
  if (c.max_pending_connections == 0) throw std::invalid_argument("MAX_PENDING_CONNECTIONS: must be at least 1");
  c.workers = env::number("WORKERS", 0, 256);
  if (c.workers == 0) c.workers = std::max(1u, std::thread::hardware_concurrency());
  env::string("REDIS_URL", c.redis_url);
  if (!c.redis_url.empty()) {
    std::string why;
    if (!parse_redis_url(c.redis_url, &why)) throw std::invalid_argument(why);
  }
  c.cluster_max_concurrent_calls = env::number("CLUSTER_MAX_CONCURRENT_CALLS", 0, 10000000);
  c.campaign_max_concurrent_calls = env::number("CAMPAIGN_MAX_CONCURRENT_CALLS", 0, 10000000);
  c.concurrency_lease_ttl_seconds = env::number("CONCURRENCY_LEASE_TTL_SECONDS", c.concurrency_lease_ttl_seconds, 86400);
  if (c.concurrency_lease_ttl_seconds < 3) throw std::invalid_argument("CONCURRENCY_LEASE_TTL_SECONDS: at least 3");
  c.redis_timeout_ms = env::number("REDIS_TIMEOUT_MS", c.redis_timeout_ms, 10000);
  if (const char* v = env::value("CONCURRENCY_ON_REDIS_ERROR")) {
    const std::string policy = v;
    if (policy != "allow" && policy != "refuse")
      throw std::invalid_argument("CONCURRENCY_ON_REDIS_ERROR: expected allow or refuse, got '" + policy + "'");
    c.refuse_on_redis_error = policy == "refuse";
  }
  env::string("INSTANCE_ID", c.instance_id);
  if (c.instance_id.empty()) c.instance_id = g_get_host_name();
  env::string("PUBLIC_BASE_URL", c.public_base_url);
  c.evidence = evidence::EvidenceConfig::from_env(c.recordings_dir);
  return c;
}

}  // namespace mediaflow::server
