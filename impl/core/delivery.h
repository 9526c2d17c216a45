// Delivery with retries and failover, written once for every runtime: the
// channel's providers are tried in order, each up to attempts_per_provider
// times with a doubling wait between tries; the first provider that accepts
// ends it. A provider's own timeout is the runtime's (live: the provider's
// `timeout`; simulated: its model).
#pragma once

#include <functional>
#include <string>

#include "core/env.h"

namespace msgbed {

struct DeliveryPolicy {
  uint32_t attempts_per_provider = 2;
  Micros first_backoff = 200 * kMillisecond;  // doubles after each failed try of one provider
};

// done(status, provider): Ok and the provider that accepted, or the last
// error (Invalid "no provider configured" when the channel has none).
// Runs on the core's thread after Deliver returns; not at all if the
// instance stops first (timers and provider callbacks die with it).
using DeliveryDone = std::function<void(const Status&, size_t provider)>;
void Deliver(Env& env, const std::string& channel, OutboundMessage message, DeliveryPolicy policy, DeliveryDone done);

}  // namespace msgbed
