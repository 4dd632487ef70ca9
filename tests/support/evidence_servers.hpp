// The evidence tests' loopback servers, run as Node processes from tests/servers (installed
// by scripts/install-deps.sh: `npm ci --prefix tests/servers`):
// - S3Store: s3rver behind a proxy that verifies every request's SigV4 signature and payload
//   SHA-256 with its own implementation (checked against AWS's examples first); it records
//   each request, and its objects can be read straight from s3rver's folder.
// - WebhookReceiver: verifies deliveries with the Standard Webhooks reference library and
//   records them.
// Both can be killed (a store that is down: its port refuses connections, held so that no
// other test's server takes it) and started again on the same port and data.
#pragma once

#include <mediaflow/dial/host_process.hpp>

#include "support/port_hold.hpp"

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mediaflow::test {

struct StoreRequest {
  std::string method, url;
  int status = 0;
  bool verified = false;
  std::string error;
  std::string sha256;
};

class S3Store {
 public:
  static constexpr const char* kSecret = "test-secret-key/EXAMPLE+1";
  explicit S3Store(std::filesystem::path dir) : dir_(std::move(dir)) {}
  ~S3Store() { kill(); }

  // Starts (or restarts) the store; port 0 picks one, else that port again. ADD_FAILURE on error.
  bool start(const std::vector<std::string>& buckets, int port = 0, int part_delay_ms = 0);
  void kill();  // SIGKILL: the store is down, its port refuses connections until start()
  int port() const { return port_; }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

  std::vector<StoreRequest> requests() const;
  // All object keys of a bucket, and one object's bytes (nullopt when absent).
  std::vector<std::string> keys(const std::string& bucket) const;
  std::optional<std::string> object(const std::string& bucket, const std::string& key) const;

 private:
  std::filesystem::path dir_;
  int port_ = 0;
  std::unique_ptr<dial::HostProcess> proc_;
  PortHold hold_;
};

struct Delivery {
  std::string id, timestamp, body, type, call_sid;
  bool signature_ok = false;
  int status = 0;
};

class WebhookReceiver {
 public:
  static constexpr const char* kSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
  explicit WebhookReceiver(std::filesystem::path dir) : dir_(std::move(dir)) {}
  ~WebhookReceiver() { kill(); }
  // fail_first: 503 to the first N deliveries; hold_nth: never answer the Nth (1-based).
  bool start(int port = 0, int fail_first = 0, int delay_ms = 0, int hold_nth = 0);
  void kill();
  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/events"; }
  std::vector<Delivery> deliveries() const;

 private:
  std::filesystem::path dir_;
  int port_ = 0;
  std::unique_ptr<dial::HostProcess> proc_;
  PortHold hold_;
};

}  // namespace mediaflow::test
