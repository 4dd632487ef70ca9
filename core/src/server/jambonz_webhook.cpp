#include <mediaflow/server/jambonz_webhook.hpp>

#include <mediaflow/protocol/jambonz_listen_verb.hpp>
#include <mediaflow/protocol/jambonz_signature.hpp>

namespace mediaflow::server {

namespace jz = protocol::jambonz;

namespace {

// A metric label per refusal (mediaflow_auth_failures_total{reason}).
std::string_view refusal_reason(jz::SignatureVerdict v) {
  switch (v) {
    case jz::SignatureVerdict::kMissingHeader: return "missing_signature";
    case jz::SignatureVerdict::kOutsideTolerance: return "stale_signature";
    default: return "bad_signature";
  }
}

}  // namespace

WebhookResponse handle_jambonz_call(const JambonzWebhookConfig& config, const JambonzWebhookRequest& request,
                                    std::int64_t now_unix) {
  WebhookResponse res;
  if (config.webhook_secret.empty()) {
    res.status = 503;
    res.body = "JAMBONZ_WEBHOOK_SECRET is not set\n";
    res.reason = "webhook_not_configured";
    return res;
  }
  const jz::SignatureVerdict verdict =
      jz::verify_jambonz_signature(request.signature, request.body, config.webhook_secret, now_unix);
  if (verdict != jz::SignatureVerdict::kValid) {
    res.status = 403;
    res.body = std::string(jz::signature_verdict_text(verdict)) + "\n";
    res.reason = refusal_reason(verdict);
    return res;
  }
  const std::optional<std::string> base = public_base(config.public_base_url, request.host);
  if (!base) {
    res.status = 400;
    res.body = "no PUBLIC_BASE_URL and no Host header\n";
    res.reason = "no_host";
    return res;
  }
  WebhookConfig token_config;
  token_config.shared_secret = config.shared_secret;
  token_config.static_token = config.static_token;
  jz::ListenVerbOptions verb;
  verb.url = stream_url(*base, config.fork_path, stream_token(token_config, now_unix));
  verb.sample_rate = config.sample_rate;
  const protocol::FormParams query = parse_form(request.raw_query);
  for (std::string_view name : kForwardedParameters) {
    for (const auto& [k, v] : query) {
      if (k == name) {
        verb.metadata.emplace(k, v);
        break;
      }
    }
  }
  const jz::ListenVerbJson verbs = jz::build_listen_verbs(verb);
  if (!verbs.ok()) {
    res.status = 400;
    res.body = std::string(verbs.error) + "\n";
    res.reason = "bad_listen_verb";
    return res;
  }
  res.status = 200;
  res.content_type = "application/json";
  res.body = verbs.json;
  return res;
}

}  // namespace mediaflow::server
