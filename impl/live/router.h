// Router: carries rpc::Envelopes between service instances. A local target
// gets the message through asio::post (so the sender's handler returns
// first, as Env requires); a remote one over a FramedConnection to its rpc
// endpoint, one connection per target, so each pair keeps send order.
// Delivery is best effort, as Env::Send promises: messages queued for a
// target that cannot be reached are dropped with a log line, and the next
// Send tries to connect again.
#pragma once

#include <map>
#include <memory>
#include <vector>

#include "core/address.h"
#include "core/service.h"
#include "live/config.h"
#include "live/framed_connection.h"

namespace msgbed::live {

class Router {
 public:
  Router(asio::io_context& io, const LiveConfig& config);

  void AddLocal(const rpc::Address& addr, Service* core);
  // Accepts connections from other processes on ep; returns the bound port.
  Status Listen(const Endpoint& ep, uint16_t* port);
  void Send(rpc::Envelope msg);

 private:
  struct Remote {
    Endpoint endpoint;
    std::shared_ptr<FramedConnection> conn;  // null when not connected
    bool connecting = false;
    std::vector<std::string> queued;  // serialized envelopes waiting for the connection
  };
  void Deliver(rpc::Envelope msg);
  void Connect(const rpc::Address& to, Remote& r);
  void Accept(std::shared_ptr<tcp::acceptor> acceptor);

  asio::io_context& io_;
  std::map<rpc::Address, Service*, AddressLess> local_;
  std::map<rpc::Address, Remote, AddressLess> remote_;
};

}  // namespace msgbed::live
