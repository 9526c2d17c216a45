// AuthService: phone sign-in with one-time SMS codes, accounts, per-device
// sessions and two-step verification (docs/auth.md). Modelled on
// Telegram's auth.sendCode / signIn / signUp / checkPassword /
// requestPasswordRecovery / recoverPassword and
// account.getAuthorizations / resetAuthorization / getPassword /
// updatePasswordSettings.
//
// Each instance plays two parts (impl/auth/placement.h):
//   for the phone numbers it owns:  SendCode, SignIn (and sign-up)
//   for the users it owns:          OpenSession, CheckPassword, Resume,
//                                   RequestRecovery, RecoverPassword,
//                                   GetAuthorizations, ResetAuthorization,
//                                   GetPassword, UpdatePassword,
//                                   RegisterDevice, Notify (push)
// A sign-in checks the code at the phone's owner, which then asks the
// user's owner to open the session (OpenSession). Everything that must
// survive a restart is in the store; only password tickets (a sign-in
// between its code and its password) and per-address flood counters are
// volatile: a crash makes such a client enter its code again.
//
// Contracts: a code is 5 digits from SecretBytes, valid code_ttl, for
// code_attempts tries, replaced by the next SendCode and used up by a
// sign-in; a session's credential has 256 random bits and is stored only
// hashed; a terminated session is refused everywhere (SESSION_REVOKED) and
// sync closes its connections. Whether a number has an account is told
// only to a client that gave its right code (PHONE_NUMBER_UNOCCUPIED).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <unordered_map>

#include "auth/flood.h"
#include "auth/password.h"
#include "core/cluster.h"
#include "core/delivery.h"
#include "core/service.h"
#include "proto/auth.pb.h"

namespace msgbed {

struct AuthLimits {
  Micros code_ttl = 180 * kSecond;
  uint32_t code_attempts = 3;      // wrong tries before a code is void
  FloodRules phone;                // per phone number, stored
  FloodRules source{20, 20};       // per source address, per instance, volatile
  uint32_t password_attempts = 5;  // wrong passwords in a row before FLOOD_WAIT
  Micros password_ticket_ttl = 300 * kSecond;
  PasswordCost password_cost;
  DeliveryPolicy sms;
  DeliveryPolicy push;
  DeliveryPolicy email;
  Micros recovery_ttl = 600 * kSecond;    // an emailed recovery code holds this long
  Micros recovery_resend = 60 * kSecond;  // ... and is not sent again sooner
  uint32_t recovery_attempts = 3;         // wrong tries before it is void
  // SendCode is answered by then at the latest, the SMS still on its way:
  // well inside the gateway's request timeout (10 s by default).
  Micros send_code_wait = 5 * kSecond;
  Micros peer_timeout = 5 * kSecond;  // OpenSession between instances
};

class AuthService final : public Service {
 public:
  AuthService(Env* env, ClusterShape shape, AuthLimits limits = {});

  void Register(Handlers& handlers) override;
  void OnReshape(const ClusterShape& now) override { shape_ = now; }

 private:
  static constexpr size_t kMaxSessionsListed = 1000;

  // Phone side (phone_side.cc).
  void HandleSendCode(const Incoming& in, const auth::SendCode& req);
  void HandleSignIn(const Incoming& in, const auth::SignIn& req);
  void SignInDone(const ReplyTo& to, const std::string& phone, const std::string& hash, uint64_t user,
                  const CallResult& result);
  void SendSms(const ReplyTo& to, const std::string& phone, const std::string& code, const std::string& hash);
  // undelivered (if any) runs when every provider failed.
  void SendCodeBy(const ReplyTo& to, const std::string& channel, OutboundMessage message, const DeliveryPolicy& policy,
                  api::ServerFrame sent, api::ErrorCode unavailable, std::function<void()> undelivered = nullptr);
  // Blocked: answers FLOOD_WAIT and returns true.
  bool SourceBlocked(const ReplyTo& to, const std::string& source);

  // User side (user_side.cc).
  void HandleOpenSession(const Incoming& in, const auth::OpenSession& req);
  void HandleCheckPassword(const Incoming& in, const auth::CheckPassword& req);
  void HandleResume(const Incoming& in, const auth::Resume& req);
  void HandleGetAuthorizations(const Incoming& in, const auth::GetAuthorizations& req);
  void HandleResetAuthorization(const Incoming& in, const auth::ResetAuthorization& req);
  void HandleGetPassword(const Incoming& in, const auth::GetPassword& req);
  void HandleUpdatePassword(const Incoming& in, const auth::UpdatePassword& req);

  // Password recovery by email (recovery.cc).
  void HandleRequestRecovery(const Incoming& in, const auth::RequestRecovery& req);
  void HandleRecoverPassword(const Incoming& in, const auth::RecoverPassword& req);
  void VoidRecoveryCode(uint64_t user, const std::string& code);
  // The sign-in's password ticket, if it is pending; answers
  // PASSWORD_HASH_INVALID and returns nullptr otherwise.
  struct Ticket;
  Ticket* PendingTicket(const ReplyTo& to, uint64_t user, const std::string& ticket);
  // The pending ticket's step passed (password or recovery code): its
  // session opens. REQUIRES: PendingTicket found it in this handler.
  void PasswordStepPassed(const ReplyTo& to, uint64_t user, const std::string& ticket, auth::UserRecord& account,
                          const std::string& source);

  // Bot accounts (bots.cc).
  void HandleCreateBot(const Incoming& in, const auth::CreateBot& req);
  void HandleOpenBot(const Incoming& in, const auth::OpenBot& req);
  void HandleRevokeBotToken(const Incoming& in, const auth::RevokeBotToken& req);
  void HandleFindBot(const Incoming& in, const auth::FindBot& req);
  void HandleCheckBotToken(const Incoming& in, const auth::CheckBotToken& req);
  void HandleGetProfiles(const Incoming& in, const auth::GetProfiles& req);
  // A fresh token for the bot account: stored hashed, generation bumped.
  std::string NewBotToken(uint64_t bot, auth::UserRecord& account);
  // Reserves username for a new id and has that id's owner open the bot
  // (once more with another id if the first belongs to someone else).
  void OpenBotFor(const ReplyTo& to, const auth::CreateBot& req, const std::string& name_key, bool retried);

  // Push notifications (push.cc).
  void HandleRegisterDevice(const Incoming& in, const auth::RegisterDevice& req);
  void HandleNotify(const Incoming& in, const auth::Notify& req);
  // Writes a new session of user and answers to with its Authorization.
  void OpenNewSession(const ReplyTo& to, uint64_t user, auth::UserRecord& account, const api::ClientInfo& client,
                      const std::string& source);
  // Checks password against account's, counting failures; answers an error
  // and returns false when it does not pass.
  bool PasswordPasses(const ReplyTo& to, uint64_t user, auth::UserRecord& account, const std::string& password);
  // Wrong passwords and recovery codes, counted together: too many in a
  // row block both for a doubling while. Blocked: answers FLOOD_WAIT and
  // returns true.
  bool GuessesBlocked(const ReplyTo& to, const auth::UserRecord& account);
  void CountWrongGuess(auth::UserRecord& account);
  void Revoke(uint64_t user, uint64_t device, auth::SessionRecord& session, WriteBatch& batch);

  // Store access: false (and the client answered INTERNAL) on a store error.
  bool LoadPhone(const ReplyTo& to, const std::string& phone, auth::PhoneRecord* out);
  bool LoadUser(const ReplyTo& to, uint64_t user, auth::UserRecord* out, bool* found);
  // ... one that must exist (INTERNAL if it does not), and writing one back.
  bool LoadAccount(const ReplyTo& to, uint64_t user, auth::UserRecord* out);
  bool SaveAccount(const ReplyTo& to, uint64_t user, const auth::UserRecord& account);
  bool Commit(const ReplyTo& to, const WriteBatch& batch);
  // The user's sessions (at most 1000, for listing), by device id.
  bool ScanSessions(const ReplyTo& to, uint64_t user, KvStore::Entries* out);
  // Visits every session record of user (however many: revoked ones
  // stay), a page at a time. False on a store error.
  bool ForEachSession(uint64_t user, const std::function<void(uint64_t device, auth::SessionRecord&)>& fn);
  void AnswerError(const ReplyTo& to, api::ErrorCode code, const std::string& why, uint32_t retry_after_s = 0);

  struct Ticket {
    Micros expires;  // date
    api::ClientInfo client;
  };

  Env* env_;
  ClusterShape shape_;  // the newest (OnReshape)
  const AuthLimits limits_;
  std::map<std::pair<uint64_t, std::string>, Ticket> tickets_;  // (user, ticket)
  std::unordered_map<std::string, auth::Flood> sources_;        // by address
};

// New accounts get ids of 33 to 52 bits: never a small number (which
// provisioned worlds use, impl/auth/provision.h), and exact in a double.
uint64_t NewUserId(Env& env);
// Well-formed UTF-8 of at most 64 characters, no control characters, and
// (when required) not blank.
bool ValidName(const std::string& name, bool required);

// Store keys, shared with Provision (impl/auth/provision.h).
std::string PhoneKey(const std::string& digits);
std::string UserKey(uint64_t user);
std::string SessionKey(uint64_t user, uint64_t device);
std::string UsernameKey(const std::string& username);

}  // namespace msgbed
