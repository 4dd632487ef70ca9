// A transport's application webhook (docs/plugin-authoring.md, "Transports"): the HTTP request
// a telephony platform sends when a call comes in (Twilio's voice URL, jambonz's calling hook),
// answered with what connects the call to the transport's WebSocket (TwiML, a `listen` verb).
// The host serves the route its TransportDescriptor names and hands the handler the request as
// its front end parsed it plus what only the host knows (its public URL, the transport's served
// path, stream tokens minted with its secret, its settings). Plain C++, no GStreamer and no
// server internals, so a handler is tested (and fuzzed) as a function.
#pragma once

#include <mediaflow/protocol/http_request.hpp>
#include <mediaflow/transport/settings.hpp>

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mediaflow::transport {

// The request as the host's front end parsed it. Views into the request: valid for the call.
struct WebhookRequest {
  std::string_view method;  // POST (the host answers 405 to anything else itself)
  std::string_view path;    // still percent-encoded, e.g. /twilio/voice
  std::string_view query;   // after '?', without it; "" when none
  std::string_view host;    // the Host header ("" when absent)
  std::string_view body;    // exactly as received (what a platform signs)
  std::span<const protocol::http::Header> headers;  // in the order sent

  // The first value of a header (name compared ignoring case), or nullopt.
  std::optional<std::string_view> header(std::string_view name) const;
};

// What only the host knows, for one request.
struct WebhookContext {
  std::string_view public_base_url;   // PUBLIC_BASE_URL ("" when unset): the origin callers use
  std::string_view media_path;        // this transport's WebSocket path as the host serves it
  std::string_view default_pipeline;  // DEFAULT_PIPELINE
  std::int64_t now_unix = 0;
  // A token the host accepts on media_path: with MEDIA_SHARED_SECRET a fresh HS256 JWT
  // (aud media) valid for ttl_seconds (clamped to 1…300); else MEDIA_AUTH_TOKEN; else "" (the
  // host takes connections without a token). nullopt: a JWT was due but could not be issued.
  std::function<std::optional<std::string>(std::int64_t ttl_seconds)> mint_token;
  // One of the host's settings by name (the environment, or what a test configured the host
  // with instead); nullopt when unset or empty. Secrets the webhook verifies come from here.
  SettingLookup setting;
};

struct WebhookAnswer {
  int status = 500;
  std::string content_type;  // "" = text/plain
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra answer headers
  // Why it was not a 200 (a metric label, no request data): the host counts it in
  // mediaflow_auth_failures_total{reason} and logs webhook_refused.
  std::string reason;
};

using WebhookHandler = WebhookAnswer (*)(const WebhookRequest& request, const WebhookContext& context);

// --- What every webhook needs, once -------------------------------------------------------

// The caller's parameters a webhook forwards into the call (`start.customParameters` for
// Twilio, the `listen` metadata for jambonz): the pipeline file, the organization.
inline constexpr std::array<std::string_view, 2> kForwardedParameters = {"pipeline", "organization_id"};

using FormParams = std::vector<std::pair<std::string, std::string>>;  // = protocol::FormParams

// Parses application/x-www-form-urlencoded text (a query or a POST body); '+' is a space, a
// malformed escape keeps its raw text.
FormParams parse_form(std::string_view encoded);

// The first value of each of kForwardedParameters in `params`, in the order of
// kForwardedParameters; with skip_empty, the first non-empty one. Views into `params`: keep it
// alive (not a temporary in a range-for).
std::vector<std::pair<std::string_view, std::string_view>> forwarded_parameters(const FormParams& params,
                                                                                bool skip_empty = true);

// The origin the webhook was called on: PUBLIC_BASE_URL (trailing '/' dropped) when set, else
// https://<Host header> (TLS ends at the load balancer). nullopt: no usable Host either.
std::optional<std::string> public_base(std::string_view public_base_url, std::string_view request_host);

// The URL the caller requested: base + path + ("?" + raw query when there is one).
std::string webhook_url(std::string_view base, std::string_view path, std::string_view raw_query);

// The WebSocket URL of a media path: base (https→wss, http→ws) + path [+ "/jwt/" + token, the
// host's path-token form, percent-encoded].
std::string stream_url(std::string_view base, std::string_view media_path, std::string_view token);

}  // namespace mediaflow::transport
