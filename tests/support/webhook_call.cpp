#include "support/webhook_call.hpp"

#include <mediaflow/server/webhooks.hpp>

namespace mediaflow::test {

transport::WebhookAnswer call_webhook(transport::WebhookHandler handler, const WebhookCall& call) {
  std::vector<protocol::http::Header> headers{{"Host", call.host}};
  headers.insert(headers.end(), call.headers.begin(), call.headers.end());
  transport::WebhookRequest request;
  request.method = call.method;
  request.path = call.path;
  request.query = call.query;
  request.host = call.host;
  request.body = call.body;
  request.headers = headers;
  transport::WebhookContext context;
  context.public_base_url = call.public_base_url;
  context.media_path = call.media_path;
  context.default_pipeline = "default";
  context.now_unix = call.now_unix;
  context.mint_token = server::stream_token_minter(call.shared_secret, call.static_token, call.now_unix);
  context.setting = [&call](std::string_view name) -> std::optional<std::string> {
    const auto it = call.settings.find(name);
    if (it == call.settings.end() || it->second.empty()) return std::nullopt;
    return it->second;
  };
  return handler(request, context);
}

}  // namespace mediaflow::test
