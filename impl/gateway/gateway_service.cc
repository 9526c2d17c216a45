#include "gateway/gateway_service.h"

#include "core/client_reply.h"

namespace msgbed {

rpc::Origin GatewayService::OriginOf(ConnId conn, uint64_t request_id) const {
  rpc::Origin o;
  *o.mutable_gateway() = env_->Self();
  o.set_conn(conn);
  o.set_request_id(request_id);
  return o;
}

void GatewayService::Reject(ConnId conn, uint64_t request_id, api::ErrorCode code, const char* why) {
  api::ServerFrame frame = ErrorFrame(code, why);
  frame.set_request_id(request_id);
  env_->SendToClient(conn, frame);
  env_->Stats().Add("gateway.rejected");
}

void GatewayService::OnClientFrame(ConnId conn, const api::ClientFrame& frame) {
  Session& session = sessions_[conn];
  if (frame.body_case() == api::ClientFrame::kDevSignIn) return SignIn(conn, session, frame);
  if (frame.body_case() == api::ClientFrame::BODY_NOT_SET) {
    return Reject(conn, frame.request_id(), api::BAD_REQUEST, "frame has no body");
  }
  if (session.user == 0) return Reject(conn, frame.request_id(), api::AUTH_KEY_UNREGISTERED, "sign in first");

  rpc::Envelope out;
  switch (frame.body_case()) {
    case api::ClientFrame::kSendMessage: {
      *out.mutable_to() = shape_.BoxOwner(session.user);
      rpc::SendMessageRequest* req = out.mutable_send_message();
      *req->mutable_origin() = OriginOf(conn, frame.request_id());
      req->set_from_user(session.user);
      req->set_from_device(session.device);
      *req->mutable_send() = frame.send_message();
      break;
    }
    case api::ClientFrame::kGetDifference: {
      *out.mutable_to() = shape_.BoxOwner(session.user);
      rpc::GetDifferenceRequest* req = out.mutable_get_difference();
      *req->mutable_origin() = OriginOf(conn, frame.request_id());
      req->set_user(session.user);
      *req->mutable_request() = frame.get_difference();
      break;
    }
    case api::ClientFrame::kUpdatesAck: {
      *out.mutable_to() = shape_.SyncOf(session.user);
      rpc::DeviceAcked* req = out.mutable_device_acked();
      req->set_user(session.user);
      req->set_device(session.device);
      req->set_pts(frame.updates_ack().pts());
      break;
    }
    default: return Reject(conn, frame.request_id(), api::BAD_REQUEST, "unknown request");
  }
  env_->Send(std::move(out));
}

void GatewayService::SignIn(ConnId conn, Session& session, const api::ClientFrame& frame) {
  const api::DevSignIn& in = frame.dev_sign_in();
  if (session.user != 0) return Reject(conn, frame.request_id(), api::ALREADY_SIGNED_IN, "already signed in");
  if (in.user_id() == 0) return Reject(conn, frame.request_id(), api::BAD_REQUEST, "user_id is 0");
  session.user = in.user_id();
  session.device = in.device_id();
  rpc::Envelope out;
  *out.mutable_to() = shape_.SyncOf(session.user);
  rpc::DeviceOnline* req = out.mutable_device_online();
  *req->mutable_origin() = OriginOf(conn, frame.request_id());
  req->set_user(session.user);
  req->set_device(session.device);
  env_->Send(std::move(out));
}

void GatewayService::OnClientClosed(ConnId conn) {
  auto it = sessions_.find(conn);
  if (it == sessions_.end()) return;
  if (it->second.user != 0) {
    rpc::Envelope out;
    *out.mutable_to() = shape_.SyncOf(it->second.user);
    rpc::DeviceOffline* req = out.mutable_device_offline();
    *req->mutable_origin() = OriginOf(conn, 0);
    req->set_user(it->second.user);
    req->set_device(it->second.device);
    env_->Send(std::move(out));
  }
  sessions_.erase(it);
}

void GatewayService::OnMessage(const rpc::Envelope& msg) {
  if (msg.body_case() != rpc::Envelope::kClientReply) {
    env_->Stats().Add("gateway.unexpected_rpc");
    return;
  }
  const rpc::ClientReply& reply = msg.client_reply();
  if (!sessions_.contains(reply.conn())) {
    env_->Stats().Add("gateway.reply_to_closed_conn");
    return;
  }
  env_->SendToClient(reply.conn(), reply.frame());
}

}  // namespace msgbed
