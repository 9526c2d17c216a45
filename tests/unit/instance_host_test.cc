// The instance host's lifecycle as a core sees it, over a substrate that
// only records what it is asked.
#include "host/instance_host.h"

#include <gtest/gtest.h>

#include "core/address.h"
#include "core/mem_kv_store.h"

namespace msgbed {
namespace {

struct RecordingSubstrate final : Substrate {
  Micros Now() const override { return 0; }
  Micros Date() const override { return 0; }
  void At(Micros, std::function<void()>) override {}
  void Transmit(Envelope) override {}
  void Publish(const std::string&, const std::string&, std::string) override {}
  void Subscribe(const std::vector<Service::Subscription>& subs) override { subscribed += subs.size(); }
  void Unsubscribe() override { ++unsubscribed; }
  KvStore& Store() override { return store; }
  ClientPort* Clients() override { return nullptr; }
  bool Entropy(void*, size_t) override { return false; }
  OutboundPort* Outbound() override { return nullptr; }

  size_t subscribed = 0;
  size_t unsubscribed = 0;
  MemKvStore store;
};

// Consumes two partitions and counts what it is told in its instance's
// metrics (which outlive the core).
class Consumer final : public Service {
 public:
  explicit Consumer(Env* env) : env_(env) {}
  void Register(Handlers&) override {}
  std::vector<Subscription> Subscriptions() const override { return {{"t", 0}, {"t", 1}}; }
  void OnPartitionsAssigned(const std::vector<Subscription>& s) override { Count("assigned", s.size()); }
  void OnPartitionsRevoked(const std::vector<Subscription>& s) override { Count("revoked", s.size()); }

 private:
  void Count(const std::string& what, size_t n) { env_->Stats().Set(what, env_->Stats().Get(what) + n); }
  Env* env_;
};

TEST(InstanceHost, PartitionsAreAssignedAtEachStartAndRevokedOnlyAtAnOrderlyStop) {
  RecordingSubstrate substrate;
  InstanceHost host(
      MakeAddress("consumer", 0), [](Env* env) { return std::make_unique<Consumer>(env); }, &substrate, 1);
  host.Start();
  EXPECT_EQ(host.Stats().Get("assigned"), 2);
  host.Crash();
  EXPECT_EQ(host.Stats().Get("revoked"), 0) << "a crash gives no notice";
  host.Start();
  host.Stop();
  EXPECT_EQ(host.Stats().Get("assigned"), 4);
  EXPECT_EQ(host.Stats().Get("revoked"), 2);
  EXPECT_EQ(substrate.subscribed, 4u);
  EXPECT_EQ(substrate.unsubscribed, 2u);
}

}  // namespace
}  // namespace msgbed
