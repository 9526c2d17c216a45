// AuthService, push notifications: device tokens are kept with the sessions
// they belong to (a terminated session's token goes with it; a token
// registered again moves from the user's other sessions), and a Notify
// from sync becomes one push per distinct token of the user's live
// sessions.
#include <set>
#include <string>

#include "auth/auth_service.h"
#include "core/client_reply.h"

namespace msgbed {

namespace {

constexpr size_t kMaxTokenBytes = 4096;

// Tokens of push services are printable ASCII without spaces (APNs: hex,
// FCM: base64url and ':'); nothing else reaches a provider or its log.
bool ValidToken(const std::string& token) {
  if (token.size() > kMaxTokenBytes) return false;
  for (char c : token) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

// What a push carries: enough for the app to know whom to fetch from,
// never the text (docs/messaging.md, "Push").
std::string PushText(const auth::Notify& n) {
  return "{\"kind\":\"new_message\",\"from\":" + std::to_string(n.from_user()) +
         ",\"chat\":" + std::to_string(n.chat_id()) + ",\"pts\":" + std::to_string(n.pts()) + "}";
}

}  // namespace

void AuthService::HandleRegisterDevice(const Incoming& in, const auth::RegisterDevice& req) {
  const ReplyTo& to = in.reply_to;
  if (!ValidToken(req.token())) {
    return AnswerError(to, api::TOKEN_INVALID, "a device token is at most 4096 printable characters, no spaces");
  }
  const uint64_t user = req.client().user(), device = req.client().device();
  WriteBatch batch;
  bool live = false;
  const bool read = ForEachSession(user, [&](uint64_t d, auth::SessionRecord& session) {
    if (d == device) {
      live = !session.revoked();
      session.set_push_token(req.token());
    } else if (!req.token().empty() && session.push_token() == req.token()) {
      session.clear_push_token();  // the device signed in again: its old session pushes no more
    } else {
      return;
    }
    batch.Put(SessionKey(user, d), session.SerializeAsString());
  });
  if (!read) return AnswerError(to, api::INTERNAL, "the session store failed; retry");
  if (!live) return AnswerError(to, api::SESSION_REVOKED, "the session was terminated");
  if (!Commit(to, batch)) return;
  env_->Stats().Add(req.token().empty() ? "auth.push_unregistered" : "auth.push_registered");
  api::ServerFrame frame;
  frame.mutable_done();
  AnswerClient(*env_, to, std::move(frame));
}

void AuthService::HandleNotify(const Incoming&, const auth::Notify& req) {
  std::set<std::string> tokens;
  const bool read = ForEachSession(req.user(), [&](uint64_t, auth::SessionRecord& session) {
    if (!session.revoked() && !session.push_token().empty()) tokens.insert(session.push_token());
  });
  if (!read) return env_->Stats().Add("auth.push_store_failed");  // best effort: the device syncs when it comes back
  const std::string text = PushText(req);
  for (const std::string& token : tokens) {
    env_->Stats().Add("auth.pushes");
    Deliver(*env_, kPushChannel, {token, text}, limits_.push, [env = env_](const Status& status, size_t) {
      env->Stats().Add(status.ok() ? "auth.pushes_delivered" : "auth.pushes_failed");
    });
  }
}

}  // namespace msgbed
