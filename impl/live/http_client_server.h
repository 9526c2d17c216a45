// HttpClientServer: the client side of a role that speaks HTTP/1.1
// (RoleSpec::ClientProtocol::kHttp: the Bot API server). Each accepted
// connection gets a ConnId, never reused within the process, and the core
// hears ClientOpened (with the peer's address) and, at every close by
// either side, ClientClosed. Each request reaches the core as
// ClientFrame{request_id, bot_call}; the core answers with
// ServerFrame{request_id, bot_answer} through SendToClient, whenever it
// likes (long polling). A frame for an unknown connection, for a request
// that is not awaiting its answer, or without a bot_answer is ignored.
// HttpConnection (http_connection.h) states the per-connection contract
// and bounds.
//
// The operator: a request whose path starts with /admin/ is marked
// BotCall.operator only if it carries `Authorization: Bearer <key>` with
// the deployment's OperatorKey (link_auth.h); an empty key marks nobody.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "host/instance_host.h"
#include "live/client_transport.h"
#include "live/config.h"
#include "live/http_connection.h"
#include "live/listener.h"

namespace msgbed::live {

class HttpClientServer final : public ClientTransport {
 public:
  // REQUIRES: host outlives the server.
  HttpClientServer(asio::io_context& io, std::string name, InstanceHost* host, const ClientTransportConfig& config,
                   std::string operator_key);
  // Closes every connection; the core is not told (it crashed or stopped).
  ~HttpClientServer() override;

  Status Listen(const Endpoint& ep, uint16_t* port) override;
  void SendToClient(ConnId conn, api::ServerFrame frame) override;
  // Finishes writing the response under way, if one is, then closes.
  void CloseClient(ConnId conn, std::string_view reason) override;

  size_t connections() const { return conns_.size(); }
  uint64_t accept_errors() const override { return listener_.accept_errors(); }

 private:
  void OnSocket(tcp::socket socket);
  void OnCall(ConnId id, uint64_t request_id, api::BotCall call, std::string_view authorization);

  const std::string name_;
  InstanceHost* host_;
  const ClientTransportConfig config_;
  const std::string operator_key_;
  Listener listener_;
  std::map<ConnId, std::shared_ptr<HttpConnection>> conns_;
  // Expires with this object: connection callbacks that run later check it.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace msgbed::live
