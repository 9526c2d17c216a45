// AuthService, the user side: accounts, sessions and cloud passwords of the
// users this instance owns.
#include <algorithm>

#include "auth/auth_service.h"
#include "auth/code.h"
#include "auth/credential.h"
#include "core/client_reply.h"
#include "proto/gateway.pb.h"

namespace msgbed {

namespace {

constexpr size_t kMaxTickets = 100000;
constexpr size_t kMaxPasswordBytes = 256;

}  // namespace

bool AuthService::LoadUser(const ReplyTo& to, uint64_t user, auth::UserRecord* out, bool* found) {
  Status s;
  const auto bytes = env_->Kv().Get(UserKey(user), &s);
  *found = s.ok() && bytes;
  if (s.ok() && (!bytes || out->ParseFromString(*bytes))) return true;
  AnswerError(to, api::INTERNAL, "the account store failed; retry");
  return false;
}

void AuthService::HandleOpenSession(const Incoming& in, const auth::OpenSession& req) {
  const ReplyTo& to = in.reply_to;
  auth::UserRecord account;
  bool found = false;
  if (!LoadUser(to, req.user(), &account, &found)) return;
  if (found && req.create() && account.phone() != req.phone()) {
    return AnswerError(to, api::PHONE_NUMBER_OCCUPIED, "the id belongs to another account");
  }
  if (!found && !req.create()) return AnswerError(to, api::INTERNAL, "the number's account is missing");
  if (!found) {
    account.set_phone(req.phone());
    account.set_first_name(req.first_name());
    account.set_last_name(req.last_name());
    account.set_created_us(env_->Date());
    env_->Stats().Add("auth.accounts_created");
  }
  if (!account.has_password()) return OpenNewSession(to, req.user(), account, req.client(), req.source());
  const Micros now = env_->Date();
  if (tickets_.size() >= kMaxTickets) std::erase_if(tickets_, [now](const auto& t) { return t.second.expires <= now; });
  if (tickets_.size() >= kMaxTickets) return AnswerError(to, api::FLOOD_WAIT, "too many sign-ins waiting", 60);
  auto needed = NewBody<auth::PasswordNeeded>();
  needed->set_user(req.user());
  needed->set_ticket(env_->SecretBytes(16));
  tickets_[{req.user(), needed->ticket()}] = Ticket{now + limits_.password_ticket_ttl, req.client()};
  env_->Reply(to, std::move(needed));
}

void AuthService::OpenNewSession(const ReplyTo& to, uint64_t user, auth::UserRecord& account,
                                 const api::ClientInfo& client, const std::string& source) {
  const uint64_t device = std::max<uint64_t>(account.next_device(), 1);
  account.set_next_device(device + 1);
  const Credential credential{user, device, env_->SecretBytes(Credential::kSecretBytes)};
  auth::SessionRecord session;
  session.set_secret_hash(SecretHash(credential.secret));
  *session.mutable_client() = client;
  session.set_created_us(env_->Date());
  session.set_active_us(session.created_us());
  session.set_address(source);
  WriteBatch batch;
  batch.Put(UserKey(user), account.SerializeAsString());
  batch.Put(SessionKey(user, device), session.SerializeAsString());
  if (!Commit(to, batch)) return;
  env_->Stats().Add("auth.sessions_opened");
  api::ServerFrame frame;
  frame.mutable_authorization()->set_user_id(user);
  frame.mutable_authorization()->set_device_id(device);
  frame.mutable_authorization()->set_credential(credential.Encode());
  AnswerClient(*env_, to, std::move(frame));
}

bool AuthService::GuessesBlocked(const ReplyTo& to, const auth::UserRecord& account) {
  const Micros now = env_->Date(), until = account.password_blocked_until_us();
  if (until <= now) return false;
  AnswerError(to, api::FLOOD_WAIT, "too many wrong passwords or recovery codes",
              static_cast<uint32_t>((until - now + kSecond - 1) / kSecond));
  return true;
}

void AuthService::CountWrongGuess(auth::UserRecord& account) {
  account.set_password_failures(account.password_failures() + 1);
  if (account.password_failures() < limits_.password_attempts) return;
  const uint32_t shift = std::min<uint32_t>(account.password_failures() - limits_.password_attempts, 20);
  account.set_password_blocked_until_us(env_->Date() +
                                        std::min(limits_.phone.max_wait, limits_.phone.first_wait << shift));
}

bool AuthService::PasswordPasses(const ReplyTo& to, uint64_t user, auth::UserRecord& account,
                                 const std::string& password) {
  if (GuessesBlocked(to, account)) return false;
  env_->Stats().Add("auth.password_checks");
  if (CheckPassword(password, account.password())) {
    account.set_password_failures(0);
    return true;
  }
  CountWrongGuess(account);
  if (SaveAccount(to, user, account)) AnswerError(to, api::PASSWORD_HASH_INVALID, "wrong password");
  return false;
}

AuthService::Ticket* AuthService::PendingTicket(const ReplyTo& to, uint64_t user, const std::string& ticket) {
  auto it = tickets_.find({user, ticket});
  if (it != tickets_.end() && it->second.expires > env_->Date()) return &it->second;
  AnswerError(to, api::PASSWORD_HASH_INVALID, "no password check is pending; sign in again");
  return nullptr;
}

void AuthService::HandleCheckPassword(const Incoming& in, const auth::CheckPassword& req) {
  const ReplyTo& to = in.reply_to;
  if (!PendingTicket(to, req.user(), req.ticket())) return;
  auth::UserRecord account;
  if (!LoadAccount(to, req.user(), &account)) return;
  if (account.has_password() && !PasswordPasses(to, req.user(), account, req.password())) return;
  PasswordStepPassed(to, req.user(), req.ticket(), account, req.source());
}

void AuthService::PasswordStepPassed(const ReplyTo& to, uint64_t user, const std::string& ticket,
                                     auth::UserRecord& account, const std::string& source) {
  auto it = tickets_.find({user, ticket});
  const api::ClientInfo client = it->second.client;
  tickets_.erase(it);
  OpenNewSession(to, user, account, client, source);
}

bool AuthService::LoadAccount(const ReplyTo& to, uint64_t user, auth::UserRecord* out) {
  bool found = false;
  if (!LoadUser(to, user, out, &found)) return false;
  if (!found) AnswerError(to, api::INTERNAL, "the account is missing");
  return found;
}

bool AuthService::SaveAccount(const ReplyTo& to, uint64_t user, const auth::UserRecord& account) {
  WriteBatch batch;
  batch.Put(UserKey(user), account.SerializeAsString());
  return Commit(to, batch);
}

void AuthService::HandleResume(const Incoming& in, const auth::Resume& req) {
  const ReplyTo& to = in.reply_to;
  const auto credential = Credential::Decode(req.credential());
  if (!credential) return AnswerError(to, api::AUTH_KEY_UNREGISTERED, "not a credential");
  Status s;
  const std::string key = SessionKey(credential->user, credential->device);
  const auto bytes = env_->Kv().Get(key, &s);
  auth::SessionRecord session;
  if (!s.ok() || (bytes && !session.ParseFromString(*bytes))) {
    return AnswerError(to, api::INTERNAL, "the session store failed; retry");
  }
  if (session.revoked()) return AnswerError(to, api::SESSION_REVOKED, "the session was terminated; sign in again");
  if (!bytes || !ConstantTimeEqual(session.secret_hash(), SecretHash(credential->secret))) {
    return AnswerError(to, api::AUTH_KEY_UNREGISTERED, "unknown credential");
  }
  session.set_active_us(env_->Date());
  session.set_address(req.source());
  WriteBatch batch;
  batch.Put(key, session.SerializeAsString());
  if (!env_->Kv().Write(batch).ok()) env_->Stats().Add("auth.activity_not_stored");  // the sign-in still holds
  auto resumed = NewBody<auth::Resumed>();
  resumed->set_user(credential->user);
  resumed->set_device(credential->device);
  env_->Reply(to, std::move(resumed));
}

bool AuthService::ScanSessions(const ReplyTo& to, uint64_t user, KvStore::Entries* out) {
  if (env_->Kv().Scan(SessionKey(user, 0), SessionKey(user + 1, 0), kMaxSessionsListed, out).ok()) return true;
  AnswerError(to, api::INTERNAL, "the session store failed; retry");
  return false;
}

bool AuthService::ForEachSession(uint64_t user, const std::function<void(uint64_t, auth::SessionRecord&)>& fn) {
  std::string from = SessionKey(user, 0);
  const std::string to = SessionKey(user + 1, 0);
  for (;;) {
    KvStore::Entries page;
    if (!env_->Kv().Scan(from, to, kMaxSessionsListed, &page).ok()) return false;
    for (const auto& [key, value] : page) {
      auth::SessionRecord session;
      if (session.ParseFromString(value)) fn(FromBigEndian(key.data() + key.size() - 8), session);
    }
    if (page.size() < kMaxSessionsListed) return true;
    from = page.back().first + '\0';
  }
}

void AuthService::HandleGetAuthorizations(const Incoming& in, const auth::GetAuthorizations& req) {
  const uint64_t user = req.client().user();
  KvStore::Entries entries;
  if (!ScanSessions(in.reply_to, user, &entries)) return;
  api::ServerFrame frame;
  for (const auto& [key, value] : entries) {
    auth::SessionRecord record;
    if (!record.ParseFromString(value) || record.revoked()) continue;
    api::Session* s = frame.mutable_authorizations()->add_sessions();
    s->set_device_id(FromBigEndian(key.data() + key.size() - 8));
    *s->mutable_client() = record.client();
    s->set_created_date_us(record.created_us());
    s->set_active_date_us(record.active_us());
    s->set_address(record.address());
    s->set_current(s->device_id() == req.client().device());
  }
  frame.mutable_authorizations();
  AnswerClient(*env_, in.reply_to, std::move(frame));
}

void AuthService::Revoke(uint64_t user, uint64_t device, auth::SessionRecord& session, WriteBatch& batch) {
  session.set_revoked(true);
  session.clear_secret_hash();
  batch.Put(SessionKey(user, device), session.SerializeAsString());
}

void AuthService::HandleResetAuthorization(const Incoming& in, const auth::ResetAuthorization& req) {
  const uint64_t user = req.client().user();
  WriteBatch batch;
  std::vector<uint64_t> revoked;
  const bool read = ForEachSession(user, [&](uint64_t device, auth::SessionRecord& record) {
    if (record.revoked()) return;
    // One session, or (device 0) every one but the caller's.
    if (req.device() != 0 ? device != req.device() : device == req.client().device()) return;
    Revoke(user, device, record, batch);
    revoked.push_back(device);
  });
  if (!read) return AnswerError(in.reply_to, api::INTERNAL, "the session store failed; retry");
  if (req.device() != 0 && revoked.empty()) return AnswerError(in.reply_to, api::HASH_INVALID, "no such session");
  if (!Commit(in.reply_to, batch)) return;
  // Every gateway closes the sessions' connections. This instance checks
  // the user's resumes, and its answers and this notice share each ordered
  // link: a resume answered before the revocation is closed by it.
  for (uint64_t device : revoked) {
    for (uint32_t g = 0; g < shape_.Count(role::kGateway); ++g) {
      auto close = NewBody<gateway::CloseSession>();
      close->set_user(user);
      close->set_device(device);
      env_->Send(MakeAddress(role::kGateway, g), std::move(close));
    }
  }
  env_->Stats().Add("auth.sessions_revoked", static_cast<int64_t>(revoked.size()));
  api::ServerFrame frame;
  frame.mutable_done();
  AnswerClient(*env_, in.reply_to, std::move(frame));
}

void AuthService::HandleGetPassword(const Incoming& in, const auth::GetPassword& req) {
  auth::UserRecord account;
  bool found = false;
  if (!LoadUser(in.reply_to, req.client().user(), &account, &found)) return;
  api::ServerFrame frame;
  frame.mutable_password_state()->set_has_password(account.has_password());
  frame.mutable_password_state()->set_hint(account.hint());
  frame.mutable_password_state()->set_has_recovery_email(!account.email().empty());
  AnswerClient(*env_, in.reply_to, std::move(frame));
}

void AuthService::HandleUpdatePassword(const Incoming& in, const auth::UpdatePassword& req) {
  const ReplyTo& to = in.reply_to;
  const uint64_t user = req.client().user();
  const api::UpdatePassword& change = req.request();
  if (change.new_password().size() > kMaxPasswordBytes || change.hint().size() > 128 ||
      (!change.new_password().empty() && change.hint() == change.new_password())) {
    return AnswerError(to, api::PASSWORD_INVALID,
                       "passwords are at most 256 bytes, hints 128; a hint is not the password");
  }
  if (!change.email().empty() && (change.new_password().empty() || !ValidEmail(change.email()))) {
    return AnswerError(to, api::EMAIL_INVALID,
                       "a recovery email is name@domain.tld (at most 256 bytes), and goes with a new password");
  }
  auth::UserRecord account;
  if (!LoadAccount(to, user, &account)) return;
  if (account.has_password() ? !PasswordPasses(to, user, account, change.current()) : !change.current().empty()) {
    if (!account.has_password()) AnswerError(to, api::PASSWORD_HASH_INVALID, "the account has no password yet");
    return;
  }
  // A new password keeps the recovery email unless it names another;
  // removing the password removes the email too.
  const std::string email = change.email().empty() ? account.email() : change.email();
  account.clear_password();
  account.clear_hint();
  account.clear_email();
  account.clear_recovery_code();
  if (!change.new_password().empty()) {
    if (!HashPassword(change.new_password(), env_->SecretBytes(16), limits_.password_cost,
                      account.mutable_password())) {
      return AnswerError(to, api::INTERNAL, "the password could not be hashed");
    }
    account.set_hint(change.hint());
    account.set_email(email);
  }
  if (!SaveAccount(to, user, account)) return;
  env_->Stats().Add(change.new_password().empty() ? "auth.passwords_removed" : "auth.passwords_set");
  api::ServerFrame frame;
  frame.mutable_done();
  AnswerClient(*env_, to, std::move(frame));
}

}  // namespace msgbed
