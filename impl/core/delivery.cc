#include "core/delivery.h"

#include <memory>

namespace msgbed {

namespace {

struct Attempts {
  Env* env;
  std::string channel;
  OutboundMessage message;
  DeliveryPolicy policy;
  DeliveryDone done;
  size_t provider = 0;
  uint32_t tries = 0;  // of the current provider
};

void Try(std::shared_ptr<Attempts> a) {
  Env& env = *a->env;
  const size_t provider = a->provider;
  env.Outbound().Deliver(a->channel, provider, a->message, [a](const Status& s) {
    if (s.ok()) return a->done(s, a->provider);
    a->env->Stats().Add("outbound." + a->channel + ".failed_attempts");
    if (++a->tries >= a->policy.attempts_per_provider) {
      a->tries = 0;
      if (++a->provider >= a->env->Outbound().Providers(a->channel)) return a->done(s, a->provider);
      a->env->Stats().Add("outbound." + a->channel + ".failovers");
      return Try(a);
    }
    const Micros wait = a->policy.first_backoff << (a->tries - 1);
    a->env->StartTimer(wait, [a] { Try(a); });
  });
}

}  // namespace

void Deliver(Env& env, const std::string& channel, OutboundMessage message, DeliveryPolicy policy, DeliveryDone done) {
  auto a = std::make_shared<Attempts>(Attempts{&env, channel, std::move(message), policy, std::move(done)});
  if (env.Outbound().Providers(channel) == 0) {
    env.StartTimer(0, [a] { a->done(Status::Invalid("no " + a->channel + " provider is configured"), 0); });
    return;
  }
  Try(std::move(a));
}

}  // namespace msgbed
