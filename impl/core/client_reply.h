// Answering or pushing to a client from any service: the frame travels
// through the gateway that holds the client's connection, which writes it
// only if that connection still belongs to the same (epoch, user, device).
#pragma once

#include <string>

#include "core/env.h"

namespace msgbed {

// Sends frame to the client named by ref; request_id 0 marks a push.
inline void SendToClientRef(Env& env, const rpc::ClientRef& ref, uint64_t request_id, api::ServerFrame frame) {
  rpc::Envelope out;
  *out.mutable_to() = ref.gateway();
  rpc::ClientReply* reply = out.mutable_client_reply();
  *reply->mutable_client() = ref;
  reply->set_request_id(request_id);
  *reply->mutable_frame() = std::move(frame);
  env.Send(std::move(out));
}

inline void ReplyToClient(Env& env, const rpc::Origin& origin, api::ServerFrame frame) {
  SendToClientRef(env, origin.client(), origin.request_id(), std::move(frame));
}

inline api::ServerFrame ErrorFrame(api::ErrorCode code, std::string message) {
  api::ServerFrame frame;
  frame.mutable_error()->set_code(code);
  frame.mutable_error()->set_message(std::move(message));
  return frame;
}

inline void ReplyError(Env& env, const rpc::Origin& origin, api::ErrorCode code, std::string message) {
  ReplyToClient(env, origin, ErrorFrame(code, std::move(message)));
}

// The same connection: gateway, epoch and connection id (user and device
// may differ only if something is badly wrong; the gateway checks them).
inline bool SameConnection(const rpc::ClientRef& a, const rpc::ClientRef& b) {
  return a.conn() == b.conn() && a.epoch() == b.epoch() && a.gateway().index() == b.gateway().index() &&
         a.gateway().role() == b.gateway().role();
}

}  // namespace msgbed
