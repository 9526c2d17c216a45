// Service: a sans-IO service core. The host calls exactly one of these at a
// time per instance; each call runs to completion and acts only through the
// Env given at construction. A core's volatile state lives in the object;
// what must survive a crash goes to Env::Kv, and the constructor (which the
// host runs again at every restart) recovers from it.
#pragma once

#include <string>
#include <vector>

#include "core/cluster.h"
#include "core/env.h"
#include "core/handlers.h"

namespace msgbed {

class Service {
 public:
  virtual ~Service() = default;

  // Fills the dispatch table with one handler per message type served.
  // Called once, right after construction.
  virtual void Register(Handlers& handlers) = 0;

  // Bus topics this instance consumes, as a member of its role's consumer
  // group: the runtime shares the topics' partitions among the role's
  // running instances and moves them when one starts, stops or crashes (a
  // rebalance). The messages on them reach the handlers Register set.
  virtual std::vector<std::string> Topics() const { return {}; }
  struct Partition {
    std::string topic;
    uint32_t partition;
  };
  // The runtime now delivers these partitions' messages, from the group's
  // committed offsets (at start, and after each rebalance that gives some).
  virtual void OnPartitionsAssigned(const std::vector<Partition>& /*assigned*/) {}
  // The runtime stops delivering these partitions: before a rebalance takes
  // them, and at an orderly stop (a crash gives no notice).
  virtual void OnPartitionsRevoked(const std::vector<Partition>& /*revoked*/) {}

  // The deployment's shape changed (messages instances were added or
  // removed while running): route by `now` from here on. Called by the
  // runtime on every running instance; a restart builds the core with the
  // newest shape.
  virtual void OnReshape(const ClusterShape& /*now*/) {}

  // Roles with clients only: a client connection opened (from `source`:
  // the client's network address, without port), sent a frame, or ended
  // (closed by either side; after ClientPort::CloseClient too).
  virtual void OnClientOpened(ConnId /*conn*/, std::string_view /*source*/) {}
  virtual void OnClientFrame(ConnId /*conn*/, const api::ClientFrame& /*frame*/) {}
  virtual void OnClientClosed(ConnId /*conn*/) {}
};

}  // namespace msgbed
