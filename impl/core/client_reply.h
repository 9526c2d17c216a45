// Reaching a client from any service: answers travel back as the reply to
// the gateway's call (a rpc.ClientAnswer); pushes go to the gateway that
// holds the client's connection (gateway.Push), which writes them only if
// that connection still belongs to the same (epoch, user, device).
#pragma once

#include <string>

#include "core/env.h"
#include "proto/gateway.pb.h"

namespace msgbed {

inline api::ServerFrame ErrorFrame(api::ErrorCode code, std::string message) {
  api::ServerFrame frame;
  frame.mutable_error()->set_code(code);
  frame.mutable_error()->set_message(std::move(message));
  return frame;
}

// Pushes frame to the client named by ref.
inline void PushToClient(Env& env, const rpc::ClientRef& ref, api::ServerFrame frame) {
  auto push = NewBody<gateway::Push>();
  *push->mutable_client() = ref;
  *push->mutable_frame() = std::move(frame);
  env.Send(ref.gateway(), std::move(push));
}

// Answers a call made on a client's behalf with frame.
inline void AnswerClient(Env& env, const ReplyTo& to, api::ServerFrame frame) {
  auto answer = NewBody<rpc::ClientAnswer>();
  *answer->mutable_frame() = std::move(frame);
  env.Reply(to, std::move(answer));
}

// The same connection: gateway, epoch and connection id (user and device
// may differ only if something is badly wrong; the gateway checks them).
inline bool SameConnection(const rpc::ClientRef& a, const rpc::ClientRef& b) {
  return a.conn() == b.conn() && a.epoch() == b.epoch() && a.gateway().index() == b.gateway().index() &&
         a.gateway().role() == b.gateway().role();
}

}  // namespace msgbed
