#include <mediaflow/evidence/retry_policy.hpp>

#include <algorithm>
#include <cmath>

namespace mediaflow::evidence {

Outcome classify(bool transport_ok, long http_status) {
  if (!transport_ok) return Outcome::kRetry;
  if (http_status >= 200 && http_status < 300) return Outcome::kSuccess;
  if (http_status == 408 || http_status == 429 || http_status >= 500) return Outcome::kRetry;
  // 1xx/3xx never reach here as a final answer in practice (curl does not follow redirects
  // for us: a redirect from a store or receiver is a misconfiguration, like other 4xx).
  return Outcome::kPermanent;
}

double Backoff::delay_seconds(unsigned attempts, std::mt19937_64& rng) const {
  const unsigned exponent = std::min(attempts ? attempts - 1 : 0u, 30u);
  const double d = std::min(max_seconds, initial_seconds * std::ldexp(1.0, static_cast<int>(exponent)));
  std::uniform_real_distribution<double> jitter(d / 2, d);
  return jitter(rng);
}

}  // namespace mediaflow::evidence
