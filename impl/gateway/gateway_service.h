// GatewayService: the connection layer. Holds client connections (the
// runtime owns the sockets; this core sees ConnIds), signs them in, and
// forwards each request to the service that owns it:
//   DevSignIn      -> sync(user)       DeviceOnline, answered with SignedIn
//   SendMessage    -> messages(owner)  SendMessageRequest
//   GetDifference  -> messages(owner)  GetDifferenceRequest
//   UpdatesAck     -> sync(user)       DeviceAcked
// Answers and pushed updates come back as ClientReply and go out on the
// connection, if it is still open.
#pragma once

#include <cstdint>
#include <map>

#include "core/cluster.h"
#include "core/service.h"

namespace msgbed {

class GatewayService final : public Service {
 public:
  GatewayService(Env* env, ClusterShape shape) : env_(env), shape_(shape) {}

  void OnMessage(const rpc::Envelope& msg) override;
  void OnClientFrame(ConnId conn, const api::ClientFrame& frame) override;
  void OnClientClosed(ConnId conn) override;

  size_t connections() const { return sessions_.size(); }

 private:
  struct Session {
    uint64_t user = 0;  // 0 until signed in
    uint64_t device = 0;
  };
  void SignIn(ConnId conn, Session& session, const api::ClientFrame& frame);
  rpc::Origin OriginOf(ConnId conn, uint64_t request_id) const;
  void Reject(ConnId conn, uint64_t request_id, api::ErrorCode code, const char* why);

  Env* env_;
  const ClusterShape shape_;
  std::map<ConnId, Session> sessions_;
};

}  // namespace msgbed
