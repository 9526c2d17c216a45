// SyncService: consumes NewMessageUpdate events from its bus partitions and
// pushes each to every online device of the box owner, through the gateway
// holding the device's connection. Devices register here when they sign in
// (DeviceOnline) and leave when their connection closes (DeviceOffline).
//
// Registration is answered (SignedIn) only once recorded, and the device
// calls getDifference after that: every update is therefore either pushed
// (consumed after registration) or returned by getDifference (stored before
// it), never missed. Updates seen twice are harmless: devices dedup by pts.
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "core/cluster.h"
#include "core/service.h"

namespace msgbed {

class SyncService final : public Service {
 public:
  SyncService(Env* env, ClusterShape shape) : env_(env), shape_(shape) {}

  std::vector<Subscription> Subscriptions() const override;
  void OnMessage(const rpc::Envelope& msg) override;
  void OnBusRecord(const BusRecord& record) override;

  size_t online_devices() const;
  // The highest pts a device acknowledged, 0 if none.
  uint64_t AckedPts(uint64_t user, uint64_t device) const;

 private:
  struct Connection {
    uint64_t device;
    rpc::Address gateway;
    ConnId conn;
  };
  void HandleOnline(const rpc::DeviceOnline& req);
  void HandleOffline(const rpc::DeviceOffline& req);
  void HandleAcked(const rpc::DeviceAcked& req);

  Env* env_;
  const ClusterShape shape_;
  std::map<uint64_t, std::vector<Connection>> online_;       // by user
  std::map<std::pair<uint64_t, uint64_t>, uint64_t> acked_;  // (user, device) -> pts
};

}  // namespace msgbed
