#include "jambonz_webhook.hpp"

#include <mediaflow/protocol/jambonz_listen_verb.hpp>
#include <mediaflow/protocol/jambonz_metadata.hpp>
#include <mediaflow/protocol/jambonz_signature.hpp>
#include <mediaflow/protocol/jwt.hpp>

#include <charconv>
#include <cstdint>
#include <string>

namespace mediaflow::jambonz_transport {

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

transport::WebhookAnswer refuse(int status, std::string body, std::string_view reason) {
  transport::WebhookAnswer a;
  a.status = status;
  a.body = std::move(body);
  a.reason = reason;
  return a;
}

std::string setting(const transport::WebhookContext& context, std::string_view name) {
  return context.setting ? context.setting(name).value_or("") : "";
}

// JAMBONZ_SAMPLE_RATE: a decimal number up to 64000 (which ones jambonz takes, the verb
// builder checks); 16000 when unset.
std::optional<std::uint32_t> sample_rate(const std::string& text) {
  if (text.empty()) return 16000;
  std::uint32_t rate = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), rate);
  if (ec != std::errc() || end != text.data() + text.size() || rate > 64000) return std::nullopt;
  return rate;
}

}  // namespace

std::string check_settings(const transport::SettingLookup& setting) {
  const std::optional<std::uint32_t> rate = sample_rate(setting ? setting("JAMBONZ_SAMPLE_RATE").value_or("") : "");
  if (!rate || !jz::is_supported_sample_rate(*rate))
    return "JAMBONZ_SAMPLE_RATE: expected one of 8000, 16000, 24000, 48000, 64000 (the rates of the listen verb)";
  return "";
}

transport::WebhookAnswer answer_webhook(const transport::WebhookRequest& request,
                                        const transport::WebhookContext& context) {
  const std::string secret = setting(context, "JAMBONZ_WEBHOOK_SECRET");
  if (secret.empty()) return refuse(503, "JAMBONZ_WEBHOOK_SECRET is not set\n", "webhook_not_configured");
  const jz::SignatureVerdict verdict = jz::verify_jambonz_signature(
      request.header("Jambonz-Signature").value_or(""), request.body, secret, context.now_unix);
  if (verdict != jz::SignatureVerdict::kValid)
    return refuse(403, std::string(jz::signature_verdict_text(verdict)) + "\n", refusal_reason(verdict));
  const std::optional<std::string> base = transport::public_base(context.public_base_url, request.host);
  if (!base) return refuse(400, "no PUBLIC_BASE_URL and no Host header\n", "no_host");
  const std::optional<std::uint32_t> rate = sample_rate(setting(context, "JAMBONZ_SAMPLE_RATE"));
  if (!rate) return refuse(500, "JAMBONZ_SAMPLE_RATE: expected a number up to 64000\n", "webhook_misconfigured");
  const std::optional<std::string> token =
      context.mint_token ? context.mint_token(protocol::kMaxStreamTokenTtlSeconds) : std::string();
  if (!token) return refuse(500, "no stream token could be issued\n", "token_issue_failed");

  jz::ListenVerbOptions verb;
  verb.url = transport::stream_url(*base, context.media_path, *token);
  verb.sample_rate = *rate;
  const transport::FormParams query = transport::parse_form(request.query);
  for (const auto& [name, value] : transport::forwarded_parameters(query, false)) verb.metadata.emplace(name, value);
  const jz::ListenVerbJson verbs = jz::build_listen_verbs(verb);
  if (!verbs.ok()) return refuse(400, std::string(verbs.error) + "\n", "bad_listen_verb");
  transport::WebhookAnswer answer;
  answer.status = 200;
  answer.content_type = "application/json";
  answer.body = verbs.json;
  return answer;
}

}  // namespace mediaflow::jambonz_transport
