#include "server/http_routes.hpp"

#include <mediaflow/evidence/evidence_service.hpp>
#include <mediaflow/log.hpp>
#include <mediaflow/metrics.hpp>
#include <mediaflow/server/auth.hpp>
#include <mediaflow/server/host.hpp>
#include <mediaflow/server/twiml.hpp>

#include <json-glib/json-glib.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <string>

namespace mediaflow::server {
namespace {

std::string iso8601_now() {
  GDateTime* now = g_date_time_new_now_utc();
  gchar* s = g_date_time_format_iso8601(now);
  std::string out(s);
  g_free(s);
  g_date_time_unref(now);
  return out;
}

void respond(SoupServerMessage* msg, guint status, const char* content_type, const std::string& body) {
  soup_server_message_set_status(msg, status, nullptr);
  soup_server_message_set_response(msg, content_type, SOUP_MEMORY_COPY, body.data(), body.size());
}

void respond_json(SoupServerMessage* msg, guint status, JsonBuilder* b) {
  JsonNode* root = json_builder_get_root(b);
  gchar* text = json_to_string(root, FALSE);
  respond(msg, status, "application/json", text);
  g_free(text);
  json_node_unref(root);
  g_object_unref(b);
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

void status_body(Host& host, SoupServerMessage* msg, bool health) {
  const bool ok = !host.draining();
  JsonBuilder* b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "ok");
  json_builder_add_boolean_value(b, health ? ok : true);
  json_builder_set_member_name(b, "service");
  json_builder_add_string_value(b, "media");
  json_builder_set_member_name(b, "wsPath");
  json_builder_add_string_value(b, host.config().ws_path.c_str());
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
  respond_json(msg, health && !ok ? SOUP_STATUS_SERVICE_UNAVAILABLE : SOUP_STATUS_OK, b);
}

void twilio_voice(Host& host, SoupServerMessage* msg) {
  if (std::strcmp(soup_server_message_get_method(msg), "POST") != 0) {
    respond(msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "text/plain", "POST only\n");
    return;
  }
  const auto& cfg = host.config();
  WebhookConfig wc;
  wc.twilio_auth_token = cfg.twilio_auth_token;
  wc.public_base_url = cfg.public_base_url;
  wc.ws_path = cfg.ws_path;
  wc.shared_secret = cfg.media_shared_secret;
  wc.static_token = cfg.media_auth_token;

  GUri* uri = soup_server_message_get_uri(msg);
  SoupMessageHeaders* headers = soup_server_message_get_request_headers(msg);
  SoupMessageBody* body = soup_server_message_get_request_body(msg);
  GBytes* body_bytes = soup_message_body_flatten(body);
  gsize body_len = 0;
  const char* body_data = static_cast<const char*>(g_bytes_get_data(body_bytes, &body_len));
  const char* host_header = soup_message_headers_get_one(headers, "Host");
  const char* sig = soup_message_headers_get_one(headers, "X-Twilio-Signature");
  const char* query = g_uri_get_query(uri);

  WebhookRequest req;
  req.path = g_uri_get_path(uri);
  req.raw_query = query ? query : "";
  req.host = host_header ? host_header : "";
  req.form = parse_form(std::string_view(body_data ? body_data : "", body_len));
  if (sig) req.signature = sig;
  WebhookResponse res = handle_voice_webhook(wc, req);
  g_bytes_unref(body_bytes);
  if (res.status != 200) {
    metrics().auth_failures(res.reason).inc();
    log::warn("webhook_refused", {{"status", res.status}, {"reason", res.reason}});
  }
  respond(msg, res.status, res.content_type.empty() ? "text/plain" : res.content_type.c_str(), res.body);
}

}  // namespace

void handle_http_request(Host& host, SoupServerMessage* msg, const char* path, GHashTable*) {
  if (!std::strcmp(path, "/")) {
    status_body(host, msg, false);
  } else if (!std::strcmp(path, "/health")) {
    status_body(host, msg, true);
  } else if (!std::strcmp(path, "/metrics")) {
    respond(msg, SOUP_STATUS_OK, std::string(kPrometheusContentType).c_str(), metrics().render_prometheus());
  } else if (!std::strcmp(path, "/twilio/voice")) {
    twilio_voice(host, msg);
  } else {
    respond(msg, SOUP_STATUS_NOT_FOUND, "application/json", "{\"ok\":false,\"error\":\"not found\"}");
  }
}

void check_websocket_request(Host& host, SoupServerMessage* msg, const char* path, GHashTable* query) {
  const auto& cfg = host.config();
  if (!match_ws_path(cfg.ws_path, path).matches) {
    respond(msg, SOUP_STATUS_NOT_FOUND, "application/json", "{\"ok\":false,\"error\":\"not found\"}");
    return;
  }
  const char* header = soup_message_headers_get_one(soup_server_message_get_request_headers(msg), "x-media-auth");
  const char* query_token = query ? static_cast<const char*>(g_hash_table_lookup(query, "token")) : nullptr;
  ConnectRequest req;
  req.path = path;
  if (query_token) req.query_token = query_token;
  if (header) req.header_token = header;
  AuthConfig ac;
  ac.static_token = cfg.media_auth_token;
  ac.shared_secret = cfg.media_shared_secret;
  AuthDecision d = authorize_connect(ac, cfg.ws_path, req);
  if (!d.allowed) {
    metrics().auth_failures(d.reason).inc();
    log::warn("auth_refused", {{"reason", d.reason}});
    respond(msg, SOUP_STATUS_UNAUTHORIZED, "application/json", "{\"ok\":false,\"error\":\"unauthorized\"}");
    return;
  }
  // Leave the status unset: libsoup goes on with the WebSocket upgrade (or answers a plain
  // GET that is not an upgrade with its own error).
}

}  // namespace mediaflow::server
