// AuthService, password recovery by email: a sign-in that met the cloud
// password can have a code sent to the account's recovery email instead;
// the code removes the password and signs in (Telegram's
// auth.requestPasswordRecovery and auth.recoverPassword). Wrong codes
// count as wrong passwords: the same FLOOD_WAIT stops guessing either.
#include "auth/auth_service.h"
#include "auth/code.h"
#include "core/client_reply.h"

namespace msgbed {

namespace {

constexpr uint32_t kRecoveryDigits = 6;

}  // namespace

void AuthService::HandleRequestRecovery(const Incoming& in, const auth::RequestRecovery& req) {
  const ReplyTo& to = in.reply_to;
  Ticket* ticket = PendingTicket(to, req.user(), req.ticket());
  if (!ticket) return;
  auth::UserRecord account;
  if (!LoadAccount(to, req.user(), &account)) return;
  if (account.email().empty()) return AnswerError(to, api::PASSWORD_RECOVERY_NA, "the account has no recovery email");
  if (GuessesBlocked(to, account)) return;
  const Micros now = env_->Date();
  // One code at a time: another only once it is void, has expired, or was
  // sent a minute ago.
  const Micros resend_at = account.recovery_expires_us() - limits_.recovery_ttl + limits_.recovery_resend;
  if (!account.recovery_code().empty() && account.recovery_expires_us() > now && resend_at > now) {
    return AnswerError(to, api::FLOOD_WAIT, "a recovery code was sent just now",
                       static_cast<uint32_t>((resend_at - now + kSecond - 1) / kSecond));
  }
  const std::string code = NewCode(*env_, kRecoveryDigits);
  account.set_recovery_code(code);
  account.set_recovery_expires_us(now + limits_.recovery_ttl);
  account.set_recovery_attempts_left(limits_.recovery_attempts);
  if (!SaveAccount(to, req.user(), account)) return;
  env_->Stats().Add("auth.recovery_codes");
  ticket->expires = std::max(ticket->expires, now + limits_.recovery_ttl);  // time to read the email
  api::ServerFrame sent;
  sent.mutable_password_recovery()->set_email_pattern(EmailPattern(account.email()));
  sent.mutable_password_recovery()->set_timeout_s(static_cast<uint32_t>(limits_.recovery_ttl / kSecond));
  OutboundMessage email{account.email(), "msgbed password recovery code: " + code +
                                             ". It removes your cloud password; never give it to anyone."};
  SendCodeBy(to, kEmailChannel, std::move(email), limits_.email, std::move(sent), api::EMAIL_UNAVAILABLE,
             [this, user = req.user(), code] { VoidRecoveryCode(user, code); });
}

// No provider took the email: its code is void, so that asking again is
// not refused as too soon.
void AuthService::VoidRecoveryCode(uint64_t user, const std::string& code) {
  Status s;
  auth::UserRecord account;
  const auto bytes = env_->Kv().Get(UserKey(user), &s);
  if (!bytes || !account.ParseFromString(*bytes) || account.recovery_code() != code) return;
  account.clear_recovery_code();
  WriteBatch batch;
  batch.Put(UserKey(user), account.SerializeAsString());
  env_->Kv().Write(batch);  // best effort: a failure leaves the code until it expires
}

void AuthService::HandleRecoverPassword(const Incoming& in, const auth::RecoverPassword& req) {
  const ReplyTo& to = in.reply_to;
  if (!PendingTicket(to, req.user(), req.ticket())) return;
  auth::UserRecord account;
  if (!LoadAccount(to, req.user(), &account)) return;
  if (GuessesBlocked(to, account)) return;
  if (account.recovery_code().empty() || account.recovery_expires_us() <= env_->Date()) {
    return AnswerError(to, api::PASSWORD_RECOVERY_EXPIRED, "no recovery code is waiting; ask for one");
  }
  if (!SameCode(req.code(), account.recovery_code())) {
    const bool last = account.recovery_attempts_left() <= 1;
    if (last) account.clear_recovery_code();
    account.set_recovery_attempts_left(last ? 0 : account.recovery_attempts_left() - 1);
    CountWrongGuess(account);
    if (!SaveAccount(to, req.user(), account)) return;
    if (last)
      return AnswerError(to, api::PASSWORD_RECOVERY_EXPIRED, "wrong recovery code, and it is void now: ask again");
    return AnswerError(to, api::CODE_INVALID, "wrong recovery code");
  }
  env_->Stats().Add("auth.passwords_recovered");
  account.clear_password();
  account.clear_hint();
  account.clear_email();
  account.clear_recovery_code();
  account.clear_recovery_expires_us();
  account.clear_recovery_attempts_left();
  account.set_password_failures(0);
  PasswordStepPassed(to, req.user(), req.ticket(), account, req.source());
}

}  // namespace msgbed
