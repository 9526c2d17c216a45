// AuthService: construction, store access, and the phone side (codes,
// sign-in and sign-up, flood control). The user side is in user_side.cc.
#include "auth/auth_service.h"

#include "auth/code.h"
#include "auth/credential.h"
#include "auth/phone.h"
#include "auth/placement.h"
#include "core/client_reply.h"
#include "core/utf8.h"

namespace msgbed {

namespace {

constexpr uint32_t kCodeDigits = 5;
constexpr size_t kMaxSources = 100000;  // flood counters kept per instance

std::string Hex(const std::string& bytes) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

uint64_t Uint64Of(const std::string& bytes) { return FromBigEndian(bytes.data()); }

}  // namespace

uint64_t NewUserId(Env& env) { return (Uint64Of(env.SecretBytes(8)) & ((uint64_t{1} << 52) - 1)) | uint64_t{1} << 32; }

bool ValidName(const std::string& name, bool required) {
  size_t chars = 0;
  if (!ValidUtf8(name, &chars) || chars > 64) return false;
  bool blank = true;
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) return false;
    blank &= c == ' ';
  }
  return !(required && blank);
}

std::string PhoneKey(const std::string& digits) { return "p/" + digits; }
std::string UserKey(uint64_t user) { return "u/" + BigEndian(user); }
std::string SessionKey(uint64_t user, uint64_t device) { return "s/" + BigEndian(user) + BigEndian(device); }

AuthService::AuthService(Env* env, ClusterShape shape, AuthLimits limits)
    : env_(env), shape_(std::move(shape)), limits_(limits) {}

void AuthService::Register(Handlers& handlers) {
  handlers.On(this, &AuthService::HandleSendCode);
  handlers.On(this, &AuthService::HandleSignIn);
  handlers.On(this, &AuthService::HandleOpenSession);
  handlers.On(this, &AuthService::HandleCheckPassword);
  handlers.On(this, &AuthService::HandleRequestRecovery);
  handlers.On(this, &AuthService::HandleRecoverPassword);
  handlers.On(this, &AuthService::HandleResume);
  handlers.On(this, &AuthService::HandleGetAuthorizations);
  handlers.On(this, &AuthService::HandleResetAuthorization);
  handlers.On(this, &AuthService::HandleGetPassword);
  handlers.On(this, &AuthService::HandleUpdatePassword);
  handlers.On(this, &AuthService::HandleRegisterDevice);
  handlers.On(this, &AuthService::HandleNotify);
  handlers.On(this, &AuthService::HandleCreateBot);
  handlers.On(this, &AuthService::HandleOpenBot);
  handlers.On(this, &AuthService::HandleRevokeBotToken);
  handlers.On(this, &AuthService::HandleFindBot);
  handlers.On(this, &AuthService::HandleCheckBotToken);
  handlers.On(this, &AuthService::HandleGetProfiles);
}

void AuthService::AnswerError(const ReplyTo& to, api::ErrorCode code, const std::string& why, uint32_t retry_after_s) {
  api::ServerFrame frame = ErrorFrame(code, why);
  frame.mutable_error()->set_retry_after_s(retry_after_s);
  env_->Stats().Add(std::string("auth.errors.") + api::ErrorCode_Name(code));
  AnswerClient(*env_, to, std::move(frame));
}

bool AuthService::LoadPhone(const ReplyTo& to, const std::string& phone, auth::PhoneRecord* out) {
  Status s;
  const auto bytes = env_->Kv().Get(PhoneKey(phone), &s);
  if (s.ok() && (!bytes || out->ParseFromString(*bytes))) return true;
  AnswerError(to, api::INTERNAL, "the sign-in store failed; retry");
  return false;
}

bool AuthService::Commit(const ReplyTo& to, const WriteBatch& batch) {
  if (env_->Kv().Write(batch).ok()) return true;
  AnswerError(to, api::INTERNAL, "the sign-in store failed; retry");
  return false;
}

bool AuthService::SourceBlocked(const ReplyTo& to, const std::string& source) {
  auto it = sources_.find(source);
  if (it == sources_.end()) return false;
  const uint32_t wait = BlockedFor(it->second, env_->Date());
  if (wait == 0) return false;
  AnswerError(to, api::FLOOD_WAIT, "too many sign-in attempts from this address", wait);
  return true;
}

// Counts an event of source; when the table is full, forgets the sources
// that are not blocked first (a flood of fresh addresses cannot grow it).
static auth::Flood& SourceEntry(std::unordered_map<std::string, auth::Flood>& sources, const std::string& source,
                                Micros now) {
  if (sources.size() >= kMaxSources && !sources.count(source)) {
    std::erase_if(sources, [now](const auto& e) { return BlockedFor(e.second, now) == 0; });
  }
  return sources[source];
}

void AuthService::HandleSendCode(const Incoming& in, const auth::SendCode& req) {
  const ReplyTo& to = in.reply_to;
  const std::string phone = NormalizePhone(req.phone());
  if (phone.empty()) return AnswerError(to, api::PHONE_NUMBER_INVALID, "not a phone number in international format");
  if (SourceBlocked(to, req.source())) return;
  auth::PhoneRecord rec;
  if (!LoadPhone(to, phone, &rec)) return;
  const Micros now = env_->Date();
  if (uint32_t wait = BlockedFor(rec.flood(), now)) {
    return AnswerError(to, api::FLOOD_WAIT, "too many codes or wrong codes for this number", wait);
  }
  auth::Flood& source = SourceEntry(sources_, req.source(), now);
  if (CountCode(&source, limits_.source, now)) {
    return AnswerError(to, api::FLOOD_WAIT, "too many codes asked from this address", BlockedFor(source, now));
  }
  const bool flooded = CountCode(rec.mutable_flood(), limits_.phone, now);
  rec.clear_code();
  rec.clear_code_hash();
  if (!flooded) {
    rec.set_code(NewCode(*env_, kCodeDigits));
    rec.set_code_hash(Hex(env_->SecretBytes(8)));
    rec.set_code_expires_us(now + limits_.code_ttl);
    rec.set_attempts_left(limits_.code_attempts);
  }
  WriteBatch batch;
  batch.Put(PhoneKey(phone), rec.SerializeAsString());
  if (!Commit(to, batch)) return;
  if (flooded)
    return AnswerError(to, api::FLOOD_WAIT, "too many codes or wrong codes for this number",
                       BlockedFor(rec.flood(), now));
  env_->Stats().Add("auth.codes_sent");
  SendSms(to, phone, rec.code(), rec.code_hash());
}

void AuthService::SendSms(const ReplyTo& to, const std::string& phone, const std::string& code,
                          const std::string& hash) {
  api::ServerFrame sent;
  sent.mutable_sent_code()->set_phone_code_hash(hash);
  sent.mutable_sent_code()->set_length(kCodeDigits);
  sent.mutable_sent_code()->set_timeout_s(static_cast<uint32_t>(limits_.code_ttl / kSecond));
  SendCodeBy(to, kSmsChannel, {phone, "msgbed code: " + code + ". Never give it to anyone."}, limits_.sms,
             std::move(sent), api::SEND_CODE_UNAVAILABLE);
}

// Answers `sent` once a provider accepted the message, or once
// send_code_wait has passed with the providers still trying (the code may
// yet arrive, and the client needs the answer before the caller's
// deadline); `unavailable` only when every provider failed before that.
void AuthService::SendCodeBy(const ReplyTo& to, const std::string& channel, OutboundMessage message,
                             const DeliveryPolicy& policy, api::ServerFrame sent, api::ErrorCode unavailable,
                             std::function<void()> undelivered) {
  auto answered = std::make_shared<bool>(false);
  auto answer = [this, to, channel, sent = std::move(sent), unavailable, answered](const Status& status) {
    if (std::exchange(*answered, true)) return;
    if (status.ok()) return AnswerClient(*env_, to, sent);
    env_->Stats().Add("auth." + channel + "_undelivered");
    AnswerError(to, unavailable, "no " + channel + " provider could send the code; ask again later");
  };
  env_->StartTimer(limits_.send_code_wait, [answer] { answer(Status::Ok()); });
  Deliver(*env_, channel, std::move(message), policy,
          [this, channel, answer, undelivered = std::move(undelivered)](const Status& status, size_t) {
            if (!status.ok()) {
              env_->Stats().Add("auth." + channel + "_failed");
              if (undelivered) undelivered();
            }
            answer(status);
          });
}

void AuthService::HandleSignIn(const Incoming& in, const auth::SignIn& req) {
  const ReplyTo& to = in.reply_to;
  const std::string phone = NormalizePhone(req.phone());
  if (phone.empty()) return AnswerError(to, api::PHONE_NUMBER_INVALID, "not a phone number in international format");
  if (req.phone_code_hash().empty()) return AnswerError(to, api::PHONE_CODE_HASH_EMPTY, "phone_code_hash is empty");
  if (req.code().empty()) return AnswerError(to, api::PHONE_CODE_EMPTY, "the code is empty");
  if (req.sign_up() && !(ValidName(req.first_name(), true) && ValidName(req.last_name(), false))) {
    return AnswerError(to, api::FIRSTNAME_INVALID,
                       "names are 1 to 64 characters of UTF-8 text, not blank (the last name may be empty)");
  }
  if (SourceBlocked(to, req.source())) return;
  auth::PhoneRecord rec;
  if (!LoadPhone(to, phone, &rec)) return;
  const Micros now = env_->Date();
  if (uint32_t wait = BlockedFor(rec.flood(), now)) {
    return AnswerError(to, api::FLOOD_WAIT, "too many wrong codes for this number", wait);
  }
  if (rec.code().empty() || now >= rec.code_expires_us() ||
      !ConstantTimeEqual(rec.code_hash(), req.phone_code_hash())) {
    return AnswerError(to, api::PHONE_CODE_EXPIRED, "no code is waiting for this number and hash; ask for a new one");
  }
  WriteBatch batch;
  if (!ConstantTimeEqual(rec.code(), req.code())) {
    rec.set_attempts_left(rec.attempts_left() > 0 ? rec.attempts_left() - 1 : 0);
    if (rec.attempts_left() == 0) rec.clear_code();
    CountFailure(&SourceEntry(sources_, req.source(), now), limits_.source, now);
    CountFailure(rec.mutable_flood(), limits_.phone, now);
    batch.Put(PhoneKey(phone), rec.SerializeAsString());
    if (!Commit(to, batch)) return;
    return AnswerError(to, api::PHONE_CODE_INVALID, "wrong code");
  }
  if (!req.sign_up() && rec.user() == 0) return AnswerError(to, api::PHONE_NUMBER_UNOCCUPIED, "no account; sign up");
  if (req.sign_up() && rec.user() != 0) return AnswerError(to, api::PHONE_NUMBER_OCCUPIED, "the number has an account");
  if (rec.user() == 0) {
    // Written before the account, so a retry after a failure reuses the id.
    rec.set_user(NewUserId(*env_));
    batch.Put(PhoneKey(phone), rec.SerializeAsString());
    if (!Commit(to, batch)) return;
  }
  auto open = NewBody<auth::OpenSession>();
  open->set_user(rec.user());
  open->set_create(req.sign_up());
  open->set_phone(phone);
  open->set_first_name(req.first_name());
  open->set_last_name(req.last_name());
  *open->mutable_client() = req.client();
  open->set_source(req.source());
  env_->Call(AuthOfUser(shape_, rec.user()), std::move(open), limits_.peer_timeout,
             [this, to, phone, hash = rec.code_hash(), user = rec.user()](const CallResult& r) {
               SignInDone(to, phone, hash, user, r);
             });
}

// The user's owner answered: a session or a password request uses the
// code up; a failure leaves it for a retry.
void AuthService::SignInDone(const ReplyTo& to, const std::string& phone, const std::string& hash, uint64_t user,
                             const CallResult& result) {
  const auto* answer = result.As<rpc::ClientAnswer>();
  const bool passed = result.As<auth::PasswordNeeded>() || (answer && answer->frame().has_authorization());
  if (!passed && !answer) {
    return AnswerError(to, result.error == rpc::DEADLINE_EXCEEDED ? api::TIMEOUT : api::INTERNAL,
                       "the account service did not answer; sign in again with the same code");
  }
  // OpenSession answers PHONE_NUMBER_OCCUPIED when a new account's id
  // belongs to another number already.
  const bool collided = !passed && answer->frame().error().code() == api::PHONE_NUMBER_OCCUPIED;
  auth::PhoneRecord rec;
  Status s;
  const auto bytes = env_->Kv().Get(PhoneKey(phone), &s);
  if (s.ok() && bytes && rec.ParseFromString(*bytes)) {
    bool changed = false;
    if (passed && rec.code_hash() == hash) {
      rec.clear_code();
      changed = true;
    } else if (collided && rec.user() == user) {
      rec.set_user(0);  // the next sign-up draws another id
      changed = true;
    }
    WriteBatch batch;
    batch.Put(PhoneKey(phone), rec.SerializeAsString());
    if (changed && !env_->Kv().Write(batch).ok()) env_->Stats().Add("auth.code_not_cleared");
  }
  if (collided) return AnswerError(to, api::INTERNAL, "the new account's id was taken; sign up again");
  if (passed) env_->Stats().Add("auth.codes_accepted");
  env_->Reply(to, result.body);
}

}  // namespace msgbed
