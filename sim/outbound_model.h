// OutboundModel: the simulated providers of one channel, SMS gateways
// (scenario `sms:`) or push services (`push:`), reached by the auth
// instances through the same port live providers are (core/outbound.h), so
// retries and failover are the core's own. A provider answers an attempt
// after its `latency`, refusing a `failure_rate` share of them; during an
// outage, or when its latency is not below its timeout, the attempt fails
// after `timeout`. An accepted message reaches the device `delivery` later
// (a distribution), or, for a `loss` share of them, never (accepted and
// then lost on the way, as pushes are). Draws come from the run's stream
// named after the channel.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "core/outbound.h"
#include "core/rng.h"
#include "service_time.h"

namespace msgbed::sim {

struct ProviderSpec {
  double latency = 0.1;  // seconds until the provider answers an attempt
  double timeout = 2;    // seconds until an attempt to a provider in an outage fails
  double failure_rate = 0;
  ServiceTime delivery = 3.0;                      // seconds from acceptance to the device
  double loss = 0;                                 // share of accepted messages that never arrive
  std::vector<std::pair<double, double>> outages;  // (from, until), seconds
};

// A push service's defaults: answers in 50 ms, delivers in about 300 ms
// (exponential), loses nothing.
ProviderSpec PushProvider();

class OutboundModel {
 public:
  OutboundModel(std::vector<ProviderSpec> providers, uint64_t seed) : providers_(std::move(providers)), rng_(seed) {}

  struct Outcome {
    bool accepted;
    double answer_after;     // seconds from the attempt
    bool arrives;            // accepted and not lost
    double delivered_after;  // arrives: seconds from the attempt to the device
  };
  size_t providers() const { return providers_.size(); }
  // One attempt through provider `index` at time `now`.
  Outcome Attempt(size_t index, double now);

  uint64_t accepted = 0, refused = 0, timed_out = 0, lost = 0;

 private:
  std::vector<ProviderSpec> providers_;
  Rng rng_;
};

}  // namespace msgbed::sim
