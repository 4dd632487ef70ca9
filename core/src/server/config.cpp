#include <mediaflow/server/config.hpp>

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
  c.drain_timeout_seconds = env::number("DRAIN_TIMEOUT_SECONDS", c.drain_timeout_seconds, 86400);
  c.keepalive_interval_seconds = env::number("KEEPALIVE_INTERVAL_SECONDS", c.keepalive_interval_seconds, 3600);
  c.pong_timeout_seconds = env::number("PONG_TIMEOUT_SECONDS", 2 * c.keepalive_interval_seconds, 86400);
  c.max_outbound_queue_bytes = env::number("MAX_OUTBOUND_QUEUE_BYTES", c.max_outbound_queue_bytes, 1ul << 30);
  c.socket_send_buffer_bytes = env::number("SOCKET_SEND_BUFFER_BYTES", c.socket_send_buffer_bytes, 64ul << 20);
  c.workers = env::number("WORKERS", 0, 256);
  if (c.workers == 0) c.workers = std::max(1u, std::thread::hardware_concurrency());
  env::string("TWILIO_AUTH_TOKEN", c.twilio_auth_token);
  env::string("PUBLIC_BASE_URL", c.public_base_url);
  c.evidence = evidence::EvidenceConfig::from_env(c.recordings_dir);
  return c;
}

}  // namespace mediaflow::server
