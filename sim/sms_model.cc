#include "sms_model.h"

namespace msgbed::sim {

SmsModel::Outcome SmsModel::Attempt(size_t index, double now) {
  const SmsProviderSpec& p = providers_.at(index);
  for (const auto& [from, until] : p.outages) {
    if (now >= from && now < until) {
      ++timed_out;
      return {false, p.timeout, 0};
    }
  }
  if (p.latency >= p.timeout) {  // answers too late to count: the attempt times out
    ++timed_out;
    return {false, p.timeout, 0};
  }
  if (p.failure_rate > 0 && rng_.Uniform() < p.failure_rate) {
    ++refused;
    return {false, p.latency, 0};
  }
  ++accepted;
  return {true, p.latency, p.latency + p.delivery.Sample(rng_)};
}

}  // namespace msgbed::sim
