// ServiceNode: hosts one real service core (impl/) in the simulation and is
// its Env: sends become network messages sized by their serialized bytes,
// handler runs are charged from the scenario's cost table, storage is a
// MemKvStore whose writes are charged as I/O, and the bus is the KafkaModel.
#pragma once

#include <memory>
#include <set>

#include "core/env.h"
#include "core/mem_kv_store.h"
#include "core/service.h"
#include "node.h"

namespace msgbed::sim {

class ServiceNode final : public Node, public Env {
 public:
  ServiceNode(World* world, rpc::Address self, const Placement& at, uint64_t seed);

  // REQUIRES: called once, before Start(); the service is built on this Env.
  void Host(std::unique_ptr<msgbed::Service> service) { service_ = std::move(service); }
  msgbed::Service& core() { return *service_; }
  MemKvStore& store() { return store_; }

  // Env
  const rpc::Address& Self() const override { return self_; }
  Micros Now() const override;
  TimerId StartTimer(Micros delay, std::function<void()> fn) override;
  void CancelTimer(TimerId id) override { timers_.erase(id); }
  void Send(rpc::Envelope msg) override;
  void SendToClient(ConnId conn, const api::ServerFrame& frame) override;
  void CloseClient(ConnId conn, std::string_view reason) override;
  void Publish(const std::string& topic, const std::string& key, std::string payload) override;
  KvStore& Kv() override { return kv_; }
  Rng& Random() override { return rng_; }
  Metrics& Stats() override { return metrics_; }

 private:
  // Charges each write batch as storage I/O on the node.
  class ChargedKv final : public KvStore {
   public:
    ChargedKv(ServiceNode* node) : node_(node) {}
    std::optional<std::string> Get(std::string_view key, Status* s) override { return node_->store_.Get(key, s); }
    Status Write(const WriteBatch& batch) override;
    Status Scan(std::string_view from, std::string_view to, size_t limit, Entries* out) override {
      return node_->store_.Scan(from, to, limit, out);
    }

   private:
    ServiceNode* node_;
  };

  double CostOf(const rpc::Envelope& msg) const;

  rpc::Address self_;
  std::unique_ptr<msgbed::Service> service_;
  MemKvStore store_;
  ChargedKv kv_{this};
  Rng rng_;
  Metrics metrics_;
  std::set<TimerId> timers_;  // pending, not cancelled
  TimerId next_timer_ = 1;
};

}  // namespace msgbed::sim
