// Calls a transport's webhook handler as the host does (http_routes.cpp): the request as the
// front end parsed it, and a context with the host's token minting (server::stream_token_minter)
// and settings — so a handler is tested directly as the plain function it is.
#pragma once

#include <mediaflow/protocol/http_request.hpp>
#include <mediaflow/transport/webhook.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace mediaflow::test {

struct WebhookCall {
  std::string method = "POST";
  std::string path;
  std::string query;
  std::string host;  // also sent as the Host header
  std::string body;
  std::vector<protocol::http::Header> headers;  // besides Host
  std::string public_base_url;                  // PUBLIC_BASE_URL
  std::string media_path;                       // the transport's served WebSocket path
  std::string shared_secret;                    // MEDIA_SHARED_SECRET
  std::string static_token;                     // MEDIA_AUTH_TOKEN
  std::map<std::string, std::string, std::less<>> settings;  // what setting(name) finds
  std::int64_t now_unix = 0;
};

transport::WebhookAnswer call_webhook(transport::WebhookHandler handler, const WebhookCall& call);

}  // namespace mediaflow::test
