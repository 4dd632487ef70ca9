#include "server/http_routes.hpp"

#include <mediaflow/server/served_transports.hpp>
#include <mediaflow/server/webhooks.hpp>
#include <mediaflow/transport/webhook.hpp>

#include <mediaflow/evidence/evidence_service.hpp>
#include <mediaflow/log.hpp>
#include <mediaflow/metrics.hpp>
#include <mediaflow/server/auth.hpp>
#include <mediaflow/server/host.hpp>

#include <json-glib/json-glib.h>

#include <algorithm>
#include <string>
#include <utility>

namespace mediaflow::server {
namespace {

namespace http = protocol::http;

std::string iso8601_now() {
  GDateTime* now = g_date_time_new_now_utc();
  gchar* s = g_date_time_format_iso8601(now);
  std::string out(s);
  g_free(s);
  g_date_time_unref(now);
  return out;
}

http::Response respond(unsigned status, std::string_view content_type, std::string body) {
  http::Response r;
  r.status = status;
  r.content_type = content_type;
  r.body = std::move(body);
  return r;
}

http::Response respond_json(unsigned status, JsonBuilder* b) {
  JsonNode* root = json_builder_get_root(b);
  gchar* text = json_to_string(root, FALSE);
  http::Response r = respond(status, "application/json", text);
  g_free(text);
  json_node_unref(root);
  g_object_unref(b);
  return r;
}

// The evidence backlog, so an operator sees it (health stays 200: a backlog is not a reason
// to take the host out of the load balancer).
void add_spool(JsonBuilder* b, const evidence::SpoolStats& s) {
  json_builder_set_member_name(b, "spool");
  json_builder_begin_object(b);
  for (auto [name, n] : {std::pair{"events", s.events}, {"uploads", s.uploads}, {"dead", s.dead}}) {
    json_builder_set_member_name(b, name);
    json_builder_add_int_value(b, static_cast<gint64>(n));
  }
  json_builder_set_member_name(b, "oldestSeconds");
  json_builder_add_double_value(b, std::max(s.oldest_event_seconds, s.oldest_upload_seconds));
  json_builder_end_object(b);
}

http::Response status_body(Host& host, bool health) {
  const bool ok = !host.draining();
  JsonBuilder* b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "ok");
  json_builder_add_boolean_value(b, health ? ok : true);
  json_builder_set_member_name(b, "instance");
  json_builder_add_string_value(b, host.config().instance_id.c_str());
  json_builder_set_member_name(b, "service");
  json_builder_add_string_value(b, "media");
  json_builder_set_member_name(b, "wsPath");
  json_builder_add_string_value(b, host.config().ws_path.c_str());
  json_builder_set_member_name(b, "transports");  // every media plane and its path
  json_builder_begin_object(b);
  for (const auto& t : host.transports()) {
    json_builder_set_member_name(b, t.descriptor.name);
    json_builder_add_string_value(b, t.path.c_str());
  }
  json_builder_end_object(b);
  json_builder_set_member_name(b, "webhooks");  // every transport's application webhook
  json_builder_begin_object(b);
  for (const auto& t : host.transports()) {
    if (t.descriptor.webhook_path == nullptr) continue;
    json_builder_set_member_name(b, t.descriptor.name);
    json_builder_add_string_value(b, t.descriptor.webhook_path);
  }
  json_builder_end_object(b);
  json_builder_set_member_name(b, "time");
  json_builder_add_string_value(b, iso8601_now().c_str());
  if (health) {
    json_builder_set_member_name(b, "draining");
    json_builder_add_boolean_value(b, host.draining());
    json_builder_set_member_name(b, "activeCalls");
    json_builder_add_int_value(b, host.active_calls());
    add_spool(b, host.evidence().stats());
  }
  json_builder_end_object(b);
  return respond_json(health && !ok ? 503 : 200, b);
}

http::Response not_found() { return http::json_error(404, "not found"); }

// POST to a transport's webhook_path: its answer_webhook, given what only the host knows.
http::Response transport_webhook(Host& host, const ServedTransport& transport, const http::Request& request) {
  if (request.method != "POST") return respond(405, "text/plain", "POST only\n");
  const auto& cfg = host.config();
  transport::WebhookRequest req;
  req.method = request.method;
  req.path = request.path;
  req.query = request.query;
  req.host = request.header("Host").value_or("");
  req.body = request.body;
  req.headers = request.headers;
  const auto now_unix = static_cast<std::int64_t>(g_get_real_time() / G_USEC_PER_SEC);
  transport::WebhookContext context;
  context.public_base_url = cfg.public_base_url;
  context.media_path = transport.path;
  context.default_pipeline = cfg.default_pipeline;
  context.now_unix = now_unix;
  context.mint_token = stream_token_minter(cfg.media_shared_secret, cfg.media_auth_token, now_unix);
  context.setting = [&cfg](std::string_view name) { return host_setting(cfg, name); };
  transport::WebhookAnswer answer = transport.descriptor.answer_webhook(req, context);
  if (answer.status < 200 || answer.status > 599) {  // 1xx would be read as an upgrade
    answer = {};
    answer.reason = "bad_webhook_answer";
  }
  if (answer.status >= 400) {
    if (answer.reason.empty()) answer.reason = "webhook_refused";
    metrics().auth_failures(answer.reason).inc();
    log::warn("webhook_refused",
              {{"status", answer.status}, {"reason", answer.reason}, {"transport", transport.descriptor.name}});
  }
  http::Response r = respond(static_cast<unsigned>(answer.status),
                             answer.content_type.empty() ? "text/plain" : answer.content_type, std::move(answer.body));
  for (auto& [name, value] : answer.headers) {
    const bool clean = !name.empty() && name.find_first_of(":\r\n") == std::string::npos &&
                       value.find_first_of("\r\n") == std::string::npos;
    if (clean) r.headers.push_back({std::move(name), std::move(value)});  // never a split answer
  }
  return r;
}

}  // namespace

bool is_websocket_route(std::string_view ws_path, std::string_view path) {
  if (path.substr(0, ws_path.size()) != ws_path) return false;
  return path.size() == ws_path.size() || ws_path.back() == '/' || path[ws_path.size()] == '/';
}

http::Response handle_http_request(Host& host, const http::Request& request) {
  const std::string& path = request.path;
  if (path == "/") return status_body(host, false);
  if (path == "/health") return status_body(host, true);
  if (path == "/metrics") return respond(200, kPrometheusContentType, metrics().render_prometheus());
  for (const auto& t : host.transports())
    if (t.descriptor.webhook_path != nullptr && path == t.descriptor.webhook_path) return transport_webhook(host, t, request);
  return not_found();
}

std::optional<http::Response> check_websocket_request(Host& host, const ServedTransport& transport,
                                                      const http::Request& request) {
  const auto& cfg = host.config();
  if (!match_ws_path(transport.path, request.path).matches) return not_found();
  const std::optional<std::string> query_token = token_from_query(request.query);
  ConnectRequest req;
  req.path = request.path;
  if (query_token) req.query_token = *query_token;
  req.header_token = request.header("x-media-auth");
  req.authorization = request.header("Authorization");
  AuthConfig ac;
  ac.static_token = cfg.media_auth_token;
  ac.shared_secret = cfg.media_shared_secret;
  ac.basic_credentials = transport.basic_credentials;
  AuthDecision d = authorize_connect(ac, transport.path, req);
  if (!d.allowed) {
    metrics().auth_failures(d.reason).inc();
    log::warn("auth_refused", {{"reason", d.reason}});
    return http::json_error(401, "unauthorized");
  }
  return std::nullopt;
}

}  // namespace mediaflow::server
