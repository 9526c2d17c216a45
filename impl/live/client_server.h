// ClientServer: a gateway's device connections. Accepts TCP connections
// (TLS 1.3 when ClientTransportConfig::tls is set: live/tls.h; a peer that
// does not complete the handshake within frame_timeout is dropped),
// numbers them (ConnIds never reused within a process; the gateway core's
// epoch tells processes apart), decodes each frame as an api::ClientFrame
// for the gateway core, and writes its replies.
//
// Bounds (ClientTransportConfig): a frame over max_frame_bytes, or a malformed one,
// gets a BAD_REQUEST error frame and the connection closes; a device that
// leaves more than max_outbound_bytes unread is disconnected; a frame
// started but not finished within frame_timeout gets TIMEOUT and a close.
// The core's own limits (sign-in, idle, connection cap) act through
// ClientPort::CloseClient, which flushes the core's last error frame first.
#pragma once

#include <map>
#include <memory>

#include "host/instance_host.h"
#include "live/client_transport.h"
#include "live/config.h"
#include "live/framed_connection.h"
#include "live/listener.h"

namespace msgbed::live {

class ClientServer final : public ClientTransport {
 public:
  // TLS handshakes in progress at once; more connections are closed at
  // once (a flood of handshakes costs CPU before anyone has signed in).
  static constexpr size_t kMaxTlsHandshakes = 1024;
  // REQUIRES: host outlives the server.
  ClientServer(asio::io_context& io, std::string name, InstanceHost* host, const ClientTransportConfig& config);
  // Closes every connection (devices see the gateway go at once).
  ~ClientServer() override;

  Status Listen(const Endpoint& ep, uint16_t* port) override;
  void SendToClient(ConnId conn, api::ServerFrame frame) override;
  // Sends what is queued for conn, then closes it.
  void CloseClient(ConnId conn, std::string_view reason) override;

  size_t connections() const { return conns_.size(); }
  uint64_t accept_errors() const override { return listener_.accept_errors(); }

 private:
  void OnSocket(tcp::socket socket);
  void Attach(std::shared_ptr<FramedConnection> conn);
  void OnFrame(ConnId id, std::string_view body);
  // Refuses a frame the core cannot be given: an error frame, then close.
  void Refuse(ConnId id, const std::string& why, api::ErrorCode code = api::BAD_REQUEST);
  void SweepPartialFrames();

  asio::io_context& io_;
  const std::string name_;
  InstanceHost* host_;
  const ClientTransportConfig config_;
  Listener listener_;
  std::shared_ptr<ssl::context> tls_;  // null: plain TCP
  size_t tls_handshakes_ = 0;          // in progress
  // Failed handshakes are logged at most once a second; the rest counted.
  std::chrono::steady_clock::time_point last_tls_warning_{};
  uint64_t tls_warnings_suppressed_ = 0;
  void TlsFailed(const std::string& peer, const std::string& why);
  asio::steady_timer sweep_;
  std::map<ConnId, std::shared_ptr<FramedConnection>> conns_;
  ConnId next_id_ = 1;
  // Expires with this object: connection callbacks that run later check it.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace msgbed::live
