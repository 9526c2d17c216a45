// AuthService, push notifications: device tokens are kept with the sessions
// they belong to (a terminated session's token goes with it), and a
// Notify from sync becomes one push per token of the user.
#include <string>

#include "auth/auth_service.h"
#include "core/client_reply.h"

namespace msgbed {

namespace {

constexpr size_t kMaxTokenBytes = 4096;

// What a push carries: enough for the app to know whom to fetch from,
// never the text (docs/messaging.md, "Push").
std::string PushText(const auth::Notify& n) {
  return "{\"kind\":\"new_message\",\"from\":" + std::to_string(n.from_user()) +
         ",\"chat\":" + std::to_string(n.chat_id()) + ",\"pts\":" + std::to_string(n.pts()) + "}";
}

}  // namespace

void AuthService::HandleRegisterDevice(const Incoming& in, const auth::RegisterDevice& req) {
  const ReplyTo& to = in.reply_to;
  if (req.token().size() > kMaxTokenBytes) {
    return AnswerError(to, api::TOKEN_INVALID, "a device token is at most 4096 bytes");
  }
  const uint64_t user = req.client().user(), device = req.client().device();
  Status s;
  const auto bytes = env_->Kv().Get(SessionKey(user, device), &s);
  auth::SessionRecord session;
  if (!s.ok() || (bytes && !session.ParseFromString(*bytes))) {
    return AnswerError(to, api::INTERNAL, "the session store failed; retry");
  }
  if (!bytes || session.revoked()) return AnswerError(to, api::SESSION_REVOKED, "the session was terminated");
  session.set_push_token(req.token());
  WriteBatch batch;
  batch.Put(SessionKey(user, device), session.SerializeAsString());
  if (!Commit(to, batch)) return;
  env_->Stats().Add(req.token().empty() ? "auth.push_unregistered" : "auth.push_registered");
  api::ServerFrame frame;
  frame.mutable_done();
  AnswerClient(*env_, to, std::move(frame));
}

void AuthService::HandleNotify(const Incoming&, const auth::Notify& req) {
  KvStore::Entries entries;
  if (!env_->Kv().Scan(SessionKey(req.user(), 0), SessionKey(req.user() + 1, 0), kMaxSessionsListed, &entries).ok()) {
    return env_->Stats().Add("auth.push_store_failed");  // best effort: the device syncs when it comes back
  }
  for (const auto& [key, value] : entries) {
    auth::SessionRecord session;
    if (!session.ParseFromString(value) || session.revoked() || session.push_token().empty()) continue;
    env_->Stats().Add("auth.pushes");
    Deliver(*env_, kPushChannel, {session.push_token(), PushText(req)}, limits_.push,
            [env = env_](const Status& status, size_t) {
              env->Stats().Add(status.ok() ? "auth.pushes_delivered" : "auth.pushes_failed");
            });
  }
}

}  // namespace msgbed
