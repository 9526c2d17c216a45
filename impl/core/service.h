// Service: a sans-IO service core. The host calls exactly one of these at a
// time per instance; each call runs to completion and acts only through the
// Env given at construction. A core's volatile state lives in the object;
// what must survive a crash goes to Env::Kv, and the constructor (which the
// host runs again at every restart) recovers from it.
#pragma once

#include <string>
#include <vector>

#include "core/env.h"
#include "core/handlers.h"

namespace msgbed {

class Service {
 public:
  virtual ~Service() = default;

  // Fills the dispatch table with one handler per message type served.
  // Called once, right after construction.
  virtual void Register(Handlers& handlers) = 0;

  // Bus partitions this instance consumes: (topic, partition) pairs, fixed
  // for the instance's lifetime (static assignment, no group rebalancing).
  struct Subscription {
    std::string topic;
    uint32_t partition;
  };
  virtual std::vector<Subscription> Subscriptions() const { return {}; }
  // The runtime now delivers these partitions' records (from the committed
  // offsets); with group rebalancing, also after a reassignment.
  virtual void OnPartitionsAssigned(const std::vector<Subscription>& /*assigned*/) {}
  // The runtime stops delivering these partitions: at an orderly stop with
  // static assignment (a crash gives no notice); with group rebalancing,
  // also before a reassignment. Commit-worthy state is flushed here.
  virtual void OnPartitionsRevoked(const std::vector<Subscription>& /*revoked*/) {}
  virtual void OnBusRecord(const BusRecord& /*record*/) {}

  // Roles with clients only: a client connection opened (from `source`:
  // the client's network address, without port), sent a frame, or ended
  // (closed by either side; after ClientPort::CloseClient too).
  virtual void OnClientOpened(ConnId /*conn*/, std::string_view /*source*/) {}
  virtual void OnClientFrame(ConnId /*conn*/, const api::ClientFrame& /*frame*/) {}
  virtual void OnClientClosed(ConnId /*conn*/) {}
};

}  // namespace msgbed
