#include "support/evidence_servers.hpp"

#include "support/paths.hpp"
#include "support/test_files.hpp"

#include <gtest/gtest.h>

#include <glib.h>
#include <json-glib/json-glib.h>

#include <algorithm>
#include <csignal>
#include <fstream>
#include <sstream>

namespace mediaflow::test {
namespace {

std::filesystem::path servers_dir() { return source_dir() / "tests" / "servers"; }

std::unique_ptr<dial::HostProcess> start_node(const std::string& script, const std::vector<std::string>& args) {
  gchar* node = g_find_program_in_path("node");
  if (!node) {
    ADD_FAILURE() << "node is not installed: run scripts/install-deps.sh";
    return nullptr;
  }
  if (!std::filesystem::exists(servers_dir() / "node_modules" / "s3rver")) {
    g_free(node);
    ADD_FAILURE() << "tests/servers/node_modules is missing: run scripts/install-deps.sh (npm ci --prefix tests/servers)";
    return nullptr;
  }
  auto proc = std::make_unique<dial::HostProcess>();
  dial::HostProcessOptions o;
  o.binary = node;
  g_free(node);
  o.args = {(servers_dir() / script).string()};
  o.args.insert(o.args.end(), args.begin(), args.end());
  o.ready_timeout_seconds = 20;
  std::string error;
  if (!proc->start(o, &error)) {
    ADD_FAILURE() << script << ": " << error;
    return nullptr;
  }
  return proc;
}

// Each line of a JSON-lines file as a parsed object, handed to `fn`.
template <typename Fn>
void each_json_line(const std::filesystem::path& file, Fn fn) {
  std::istringstream lines(slurp(file));
  std::string line;
  while (std::getline(lines, line)) {
    JsonParser* p = json_parser_new();
    if (json_parser_load_from_data(p, line.c_str(), -1, nullptr) && JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p)))
      fn(json_node_get_object(json_parser_get_root(p)));
    g_object_unref(p);
  }
}

std::string str(JsonObject* o, const char* name) {
  return json_object_has_member(o, name) && JSON_NODE_HOLDS_VALUE(json_object_get_member(o, name))
             ? json_object_get_string_member_with_default(o, name, "")
             : "";
}

void kill_process(std::unique_ptr<dial::HostProcess>& proc) {
  if (!proc) return;
  if (proc->running()) ::kill(proc->pid(), SIGKILL);
  proc->stop(5);
  proc.reset();
}

constexpr const char* kObjectSuffix = "._S3rver_object";

}  // namespace

bool S3Store::start(const std::vector<std::string>& buckets, int port, int part_delay_ms) {
  kill();
  hold_.release();  // the server takes its port back
  std::filesystem::create_directories(dir_);
  std::vector<std::string> args = {"--dir", (dir_ / "data").string(), "--secret", kSecret, "--log",
                                   (dir_ / "requests.jsonl").string(), "--port", std::to_string(port ? port : port_)};
  for (const auto& b : buckets) args.insert(args.end(), {"--bucket", b});
  if (part_delay_ms) args.insert(args.end(), {"--part-delay-ms", std::to_string(part_delay_ms)});
  proc_ = start_node("s3_store.js", args);
  if (!proc_) return false;
  port_ = proc_->port();
  return true;
}

void S3Store::kill() {
  const bool was_running = proc_ != nullptr;
  kill_process(proc_);
  if (was_running) hold_.hold(static_cast<uint16_t>(port_));
}

std::vector<StoreRequest> S3Store::requests() const {
  std::vector<StoreRequest> out;
  each_json_line(dir_ / "requests.jsonl", [&](JsonObject* o) {
    StoreRequest r;
    r.method = str(o, "method");
    r.url = str(o, "url");
    r.status = static_cast<int>(json_object_get_int_member_with_default(o, "status", 0));
    r.verified = json_object_get_boolean_member_with_default(o, "verified", FALSE);
    r.error = str(o, "error");
    r.sha256 = str(o, "sha256");
    out.push_back(std::move(r));
  });
  return out;
}

std::vector<std::string> S3Store::keys(const std::string& bucket) const {
  std::vector<std::string> out;
  const auto root = dir_ / "data" / bucket;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(root, ec); !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!name.ends_with(kObjectSuffix)) continue;
    auto rel = it->path().lexically_relative(root).generic_string();
    out.push_back(rel.substr(0, rel.size() - std::string(kObjectSuffix).size()));
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::optional<std::string> S3Store::object(const std::string& bucket, const std::string& key) const {
  const auto p = dir_ / "data" / bucket / (key + kObjectSuffix);
  if (!std::filesystem::exists(p)) return std::nullopt;
  return slurp(p);
}

bool WebhookReceiver::start(int port, int fail_first, int delay_ms, int hold_nth) {
  kill();
  hold_.release();  // the server takes its port back
  std::filesystem::create_directories(dir_);
  proc_ = start_node("webhook_receiver.js", {"--secret", kSecret, "--log", (dir_ / "deliveries.jsonl").string(),
                                             "--port", std::to_string(port ? port : port_), "--fail-first",
                                             std::to_string(fail_first), "--delay-ms", std::to_string(delay_ms),
                                             "--hold-nth", std::to_string(hold_nth)});
  if (!proc_) return false;
  port_ = proc_->port();
  return true;
}

void WebhookReceiver::kill() {
  const bool was_running = proc_ != nullptr;
  kill_process(proc_);
  if (was_running) hold_.hold(static_cast<uint16_t>(port_));
}

std::vector<Delivery> WebhookReceiver::deliveries() const {
  std::vector<Delivery> out;
  each_json_line(dir_ / "deliveries.jsonl", [&](JsonObject* o) {
    Delivery d;
    d.id = str(o, "id");
    d.timestamp = str(o, "timestamp");
    d.body = str(o, "body");
    d.signature_ok = json_object_get_boolean_member_with_default(o, "signature_ok", FALSE);
    d.status = static_cast<int>(json_object_get_int_member_with_default(o, "status", 0));
    JsonParser* p = json_parser_new();
    if (json_parser_load_from_data(p, d.body.c_str(), -1, nullptr) && JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p))) {
      JsonObject* b = json_node_get_object(json_parser_get_root(p));
      d.type = str(b, "type");
      if (json_object_has_member(b, "data") && JSON_NODE_HOLDS_OBJECT(json_object_get_member(b, "data")))
        d.call_sid = str(json_object_get_object_member(b, "data"), "call_sid");
    }
    g_object_unref(p);
    out.push_back(std::move(d));
  });
  return out;
}

}  // namespace mediaflow::test
