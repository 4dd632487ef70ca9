// Which failures are worth retrying, and when to try again. Plain C++.
//
// Retried: transport failures (connect refused, reset, DNS, timeouts), HTTP 5xx, 408 and 429.
// Permanent: every other 4xx (bad credentials, missing bucket, a receiver refusing the event)
// — retrying would only repeat it; the job goes to the spool's dead-letter folder.
#pragma once

#include <cstdint>
#include <random>

namespace mediaflow::evidence {

enum class Outcome { kSuccess, kRetry, kPermanent };

// `transport_ok` false: the request never got an HTTP answer (http_status is ignored).
Outcome classify(bool transport_ok, long http_status);

struct Backoff {
  double initial_seconds = 1.0;
  double max_seconds = 300.0;
  // Delay before attempt number `attempts` + 1 (attempts >= 1 failures so far): "full jitter"
  // exponential backoff, uniform in [d/2, d] with d = min(max, initial * 2^(attempts-1)), so
  // many hosts recovering from the same outage do not retry in lockstep.
  double delay_seconds(unsigned attempts, std::mt19937_64& rng) const;
};

}  // namespace mediaflow::evidence
