// SyncService: pushes each box update to the online devices it concerns,
// through the gateway holding each device's connection.
//
// Sync instances form one consumer group on the "updates" topic; each
// serves the users of the partitions the group assigns it. Everything sync
// learns comes through those partitions, in order, keyed by user: box
// updates (events.BoxUpdate), devices coming online (sync.DeviceOnline, a
// call the gateway makes through the bus) and going offline
// (sync.DeviceOffline), typing notices (sync.Typing), secret chats'
// updates for one device (events.SecretPush). So a device's
// registration is handled before any update published after it.
//
// DeviceOnline is answered (SignedIn) once the device is registered here,
// and the device calls getDifference after that: every update is either
// pushed (published after registration) or returned by getDifference
// (stored before it), never missed. Updates seen twice are harmless:
// devices dedup by pts.
//
// Presence is volatile and rebuilt, not stored: when partitions are
// assigned (at start, or when a rebalance moves them here from an instance
// that stopped or crashed), sync asks every gateway (and every Bot API
// server, which holds its bots' registrations: docs/bots.md) which
// signed-in connections belong to users of those partitions (sync.PresenceQuery)
// and holds the partitions (Env::HoldPartition: their messages wait, not
// handled, so a rebalance meanwhile hands them to the next owner) until
// every gateway has answered or kGatherDeadline has passed. Messages
// consumed after the answers keep the picture current: a connection that
// closed since is removed by its DeviceOffline, one that opened since is
// added by its DeviceOnline. A gateway that does not answer in time is
// taken to have no connections (it is down, or cut off; its devices
// re-sync when they reconnect or after their quiet period).
//
// A new message for a user none of whose devices is connected becomes a
// push notification (auth.Notify to the user's auth instance, which holds
// the device tokens). While any device is online there is no push, as a
// messenger mutes the phone while its desktop app is open; and channel
// posts never push (their fan-out is to online members only; members catch
// up when they open the app). docs/messaging.md, "Push".
//
// A device that signs in again elsewhere replaces its old connection, which
// its gateway is told to close (AUTH_KEY_DUPLICATED). A push its gateway
// answers with ConnectionGone forgets that connection.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "core/cluster.h"
#include "core/service.h"
#include "proto/client_api.pb.h"
#include "proto/events.pb.h"
#include "proto/sync.pb.h"

namespace msgbed {

class SyncService final : public Service {
 public:
  // How long partitions newly assigned wait for the gateways' presence.
  static constexpr Micros kGatherDeadline = 2 * kSecond;
  // Backpressure: a partition whose box updates were published this long
  // before they are handled here is reported to every gateway
  // (sync.Behind), at most once per kReportEvery.
  static constexpr Micros kReportBehind = kSecond;
  static constexpr Micros kReportEvery = kSecond;

  SyncService(Env* env, ClusterShape shape);

  void Register(Handlers& handlers) override;
  void OnReshape(const ClusterShape& now) override { shape_ = now; }
  std::vector<std::string> Topics() const override { return {kUpdatesTopic}; }
  void OnPartitionsAssigned(const std::vector<Partition>& assigned) override;
  void OnPartitionsRevoked(const std::vector<Partition>& revoked) override;

  size_t online_devices() const;
  // Partitions assigned here, in order, and whether their presence is known.
  std::vector<uint32_t> assigned() const;
  bool serving(uint32_t partition) const;

 private:
  // Routes a message consumed from the bus to (this->*apply)(in, m) if its
  // partition is served here.
  template <typename M>
  void OnBus(Handlers& handlers, void (SyncService::*apply)(const Incoming&, const M&));
  void HandleOnline(const Incoming& in, const sync::DeviceOnline& req);
  void HandleOffline(const Incoming& in, const sync::DeviceOffline& req);
  void HandleUpdate(const Incoming& in, const events::BoxUpdate& event);
  void HandleTyping(const Incoming& in, const sync::Typing& req);
  // A secret chat's update: to its one device (or, device 0, every device
  // of the user), and never a push notification.
  void HandleSecret(const Incoming& in, const events::SecretPush& push);
  void HandleGone(const Incoming& in, const sync::ConnectionGone& req);

  // Asks every gateway and Bot API server for the connections of these
  // partitions' users.
  void Gather(std::vector<uint32_t> partitions);
  // A gateway answered (or did not in time) for gathering round `round`.
  void Answered(uint64_t round, const sync::PresenceSnapshot* snapshot);
  // Records ref as user's connection for its device (replacing another).
  void Add(const rpc::ClientRef& ref);
  // user has no device online: a new message from someone else becomes a
  // push notification, sent by auth to each of user's registered tokens.
  void Notify(uint64_t user, const api::Update& update);
  // Pushes update to user's online devices but except_device.
  void PushTo(uint64_t user, const api::Update& update, uint64_t except_device);
  // Forgets ref's registration if it is still the current one.
  void Forget(const rpc::ClientRef& ref);
  // An update published at published_us is handled now, from partition.
  void NoteDelay(uint32_t partition, int64_t published_us);

  Env* env_;
  ClusterShape shape_;  // the newest (OnReshape)
  // Assigned partitions of the updates topic -> served (false while its
  // presence is being gathered and the host holds it).
  std::unordered_map<uint32_t, bool> partitions_;
  struct Round {
    std::vector<uint32_t> partitions;
    uint32_t waiting = 0;  // gateways yet to answer
  };
  std::unordered_map<uint64_t, Round> rounds_;
  uint64_t next_round_ = 1;
  // By user, one connection per device; hash maps (an instance tracks
  // hundreds of thousands of devices), never iterated where order shows.
  std::unordered_map<uint64_t, std::vector<rpc::ClientRef>> online_;
  std::unordered_map<uint32_t, Micros> reported_;  // partition -> when last reported behind
};

}  // namespace msgbed
