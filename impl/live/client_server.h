// ClientServer: a gateway's device connections. Accepts TCP connections,
// numbers them (ConnIds never reused within a process), decodes each frame
// as an api::ClientFrame for the gateway core, and writes its replies.
// A malformed or oversized frame closes that connection only, with the
// reason logged; the core then sees OnClientClosed.
#pragma once

#include <map>
#include <memory>

#include "core/env.h"
#include "core/service.h"
#include "live/config.h"
#include "live/framed_connection.h"

namespace msgbed::live {

class ClientServer {
 public:
  ClientServer(asio::io_context& io, Service* gateway, size_t max_frame_bytes = kDefaultMaxFrameBytes)
      : io_(io), gateway_(gateway), max_frame_bytes_(max_frame_bytes) {}

  // Binds ep and starts accepting; *port is the bound port.
  Status Listen(const Endpoint& ep, uint16_t* port);
  void Send(ConnId conn, const api::ServerFrame& frame);
  void Close(ConnId conn, std::string_view reason);

 private:
  void Accept();
  void OnFrame(ConnId id, std::string_view body);

  asio::io_context& io_;
  Service* gateway_;
  const size_t max_frame_bytes_;
  std::shared_ptr<tcp::acceptor> acceptor_;
  std::map<ConnId, std::shared_ptr<FramedConnection>> conns_;
  ConnId next_id_ = 1;
};

// Binds a listening acceptor on ep (shared by the client and rpc servers).
Status BindAcceptor(asio::io_context& io, const Endpoint& ep, std::shared_ptr<tcp::acceptor>* out);

}  // namespace msgbed::live
