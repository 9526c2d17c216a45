// Answering a client's request from any service: the answer travels back
// through the gateway that holds the client's connection.
#pragma once

#include <string>

#include "core/env.h"

namespace msgbed {

inline void ReplyToClient(Env& env, const rpc::Origin& origin, api::ServerFrame frame) {
  rpc::Envelope out;
  *out.mutable_to() = origin.gateway();
  rpc::ClientReply* reply = out.mutable_client_reply();
  reply->set_conn(origin.conn());
  frame.set_request_id(origin.request_id());
  *reply->mutable_frame() = std::move(frame);
  env.Send(std::move(out));
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

}  // namespace msgbed
