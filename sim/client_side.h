// ClientSide: the clients of an instance whose role has them
// (RoleSpec::has_clients), simulated together in one node: a gateway's
// devices (Population), a Bot API server's bots (BotPopulation). The
// instance's ServiceNode hands it what the instance writes to, or how it
// closes, one of their connections.
#pragma once

#include "core/env.h"
#include "node.h"
#include "proto/client_api.pb.h"

namespace msgbed::sim {

class ClientSide : public Node {
 public:
  using Node::Node;
  // A frame the instance sent on connection conn.
  virtual void OnServiceFrame(ConnId conn, const api::ServerFrame& frame) = 0;
  // The instance closed conn, or refused it (not running).
  virtual void OnClosed(ConnId conn) = 0;
};

}  // namespace msgbed::sim
