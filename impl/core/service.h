// Service: a sans-IO service core. The runtime calls exactly one of these at
// a time per instance; each call runs to completion and acts only through
// the Env given at construction.
#pragma once

#include <string>
#include <vector>

#include "core/env.h"

namespace msgbed {

class Service {
 public:
  virtual ~Service() = default;

  // Bus partitions this instance consumes: (topic, partition) pairs, fixed
  // for the instance's lifetime (static assignment, no group rebalancing).
  struct Subscription {
    std::string topic;
    uint32_t partition;
  };
  virtual std::vector<Subscription> Subscriptions() const { return {}; }

  virtual void OnMessage(const rpc::Envelope& msg) = 0;
  virtual void OnBusRecord(const BusRecord& /*record*/) {}

  // Gateways only: a client connection opened, sent a frame, or ended
  // (closed by either side; after CloseClient too).
  virtual void OnClientOpened(ConnId /*conn*/) {}
  virtual void OnClientFrame(ConnId /*conn*/, const api::ClientFrame& /*frame*/) {}
  virtual void OnClientClosed(ConnId /*conn*/) {}
};

}  // namespace msgbed
