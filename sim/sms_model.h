// SmsModel: the simulated SMS providers (scenario `sms:`), reached by the
// auth instances through the same port live providers are
// (core/outbound.h), so retries and failover are the core's own. A
// provider answers an attempt after its `latency`, refusing a
// `failure_rate` share of them; during an outage, or when its latency is
// not below its timeout, the attempt fails after `timeout`. An accepted message reaches the phone
// `delivery` later (a distribution), where the run hands it to the device
// waiting for it. Draws come from the run's "sms" stream.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "core/outbound.h"
#include "core/rng.h"
#include "service_time.h"

namespace msgbed::sim {

struct SmsProviderSpec {
  double latency = 0.1;  // seconds until the provider answers an attempt
  double timeout = 2;    // seconds until an attempt to a provider in an outage fails
  double failure_rate = 0;
  ServiceTime delivery = 3.0;                      // seconds from acceptance to the phone
  std::vector<std::pair<double, double>> outages;  // (from, until), seconds
};

class SmsModel {
 public:
  SmsModel(std::vector<SmsProviderSpec> providers, uint64_t seed) : providers_(std::move(providers)), rng_(seed) {}

  struct Outcome {
    bool accepted;
    double answer_after;     // seconds from the attempt
    double delivered_after;  // accepted: seconds from the attempt to the phone
  };
  size_t providers() const { return providers_.size(); }
  // One attempt through provider `index` at time `now`.
  Outcome Attempt(size_t index, double now);

  uint64_t accepted = 0, refused = 0, timed_out = 0;

 private:
  std::vector<SmsProviderSpec> providers_;
  Rng rng_;
};

}  // namespace msgbed::sim
