// SyncService: consumes BoxUpdate events from its bus partitions and
// pushes each to every online device of the box owner (or, for a channel's
// update, of the members the record names), through the gateway holding
// the device's connection. Devices register here when they sign in
// (DeviceOnline) and leave when their connection closes (DeviceOffline).
//
// Registration is answered (SignedIn) only once recorded, and the device
// calls getDifference after that: every update is therefore either pushed
// (consumed after registration) or returned by getDifference (stored before
// it), never missed. Updates seen twice are harmless: devices dedup by pts.
//
// Registrations are durable: a restarted sync reloads them and keeps
// pushing to devices that stayed connected. One that went away unseen (its
// DeviceOffline lost while sync was down, or its gateway restarted) is
// forgotten at the first push its gateway answers with ConnectionGone.
// A device that signs in again elsewhere replaces its old connection, which
// its gateway is told to close (AUTH_KEY_DUPLICATED). A session that auth
// revokes (DeviceRevoked) has its connection closed (SESSION_REVOKED) and
// is refused registration for good, which also stops a resume that auth
// checked just before the revocation.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "core/cluster.h"
#include "core/service.h"
#include "proto/client_api.pb.h"
#include "proto/sync.pb.h"

namespace msgbed {

class SyncService final : public Service {
 public:
  // Reloads the registrations in env's store.
  SyncService(Env* env, ClusterShape shape);

  void Register(Handlers& handlers) override;
  std::vector<Subscription> Subscriptions() const override;
  void OnBusRecord(const BusRecord& record) override;

  size_t online_devices() const;
  // The highest pts a device acknowledged, 0 if none.
  uint64_t AckedPts(uint64_t user, uint64_t device) const;

 private:
  void Recover();
  void HandleOnline(const Incoming& in, const sync::DeviceOnline& req);
  void HandleOffline(const Incoming& in, const sync::DeviceOffline& req);
  void HandleGone(const Incoming& in, const sync::ConnectionGone& req);
  void HandleAcked(const Incoming& in, const sync::DeviceAcked& req);
  // Closes the session's connection, forgets it, and refuses it from now on.
  void HandleRevoked(const Incoming& in, const sync::DeviceRevoked& req);
  // Passes a typing notice to the users' online devices.
  void HandleTyping(const Incoming& in, const sync::Typing& req);
  // Pushes update to user's online devices but except_device.
  void PushTo(uint64_t user, const api::Update& update, uint64_t except_device);
  // Forgets ref's registration if it is still the current one.
  void Forget(const rpc::ClientRef& ref);

  Env* env_;
  const ClusterShape shape_;
  struct DeviceHash {
    size_t operator()(const std::pair<uint64_t, uint64_t>& d) const {
      return std::hash<uint64_t>()(d.first * 0x9e3779b97f4a7c15ULL ^ d.second);
    }
  };
  // Hash maps (an instance tracks hundreds of thousands of devices); never
  // iterated where order shows.
  std::unordered_map<uint64_t, std::vector<rpc::ClientRef>> online_;               // by user; one per device
  std::unordered_map<std::pair<uint64_t, uint64_t>, uint64_t, DeviceHash> acked_;  // (user, device) -> pts
};

}  // namespace msgbed
