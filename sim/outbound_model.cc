#include "outbound_model.h"

namespace msgbed::sim {

ProviderSpec PushProvider() {
  ProviderSpec p;
  p.latency = 0.05;
  p.delivery = ServiceTime::Exponential(0.3);
  return p;
}

OutboundModel::Outcome OutboundModel::Attempt(size_t index, double now) {
  const ProviderSpec& p = providers_.at(index);
  for (const auto& [from, until] : p.outages) {
    if (now >= from && now < until) {
      ++timed_out;
      return {false, p.timeout, false, 0};
    }
  }
  if (p.latency >= p.timeout) {  // answers too late to count: the attempt times out
    ++timed_out;
    return {false, p.timeout, false, 0};
  }
  if (p.failure_rate > 0 && rng_.Uniform() < p.failure_rate) {
    ++refused;
    return {false, p.latency, false, 0};
  }
  ++accepted;
  const double delivered_after = p.latency + p.delivery.Sample(rng_);
  // Drawn only when lossy, so a lossless run's stream is as before.
  if (p.loss > 0 && rng_.Uniform() < p.loss) {
    ++lost;
    return {true, p.latency, false, 0};
  }
  return {true, p.latency, true, delivered_after};
}

}  // namespace msgbed::sim
