// AuthService, bot accounts (docs/bots.md): a bot is a user whose record
// is marked bot, with a unique username and a token instead of a phone and
// sessions. The username's record lives on the auth instance its hash
// picks, the account on the user's, as a phone number's and a user's do.
#include <algorithm>
#include <cctype>

#include "auth/auth_service.h"
#include "auth/credential.h"
#include "auth/placement.h"
#include "core/client_reply.h"
#include "core/utf8.h"
#include "proto/botapi.pb.h"

namespace msgbed {

namespace {

constexpr size_t kTokenChars = 35;  // as long as Telegram's
constexpr size_t kMaxProfiles = 200;

// Telegram's rule for bot usernames: 5-32 characters of [A-Za-z0-9_],
// starting with a letter, ending in "bot".
bool ValidBotUsername(const std::string& name) {
  if (name.size() < 5 || name.size() > 32 || !std::isalpha(static_cast<unsigned char>(name[0]))) return false;
  for (unsigned char c : name) {
    if (!std::isalnum(c) && c != '_') return false;
  }
  return AsciiLowercase(name.substr(name.size() - 3)) == "bot";
}

auth::BotAccount AccountOf(uint64_t id, const auth::UserRecord& rec) {
  auth::BotAccount out;
  out.set_id(id);
  out.set_username(rec.username());
  out.set_first_name(rec.first_name());
  out.set_reads_all_group_messages(rec.bot_reads_all());
  out.set_token_generation(rec.bot_token_generation());
  return out;
}

}  // namespace

std::string UsernameKey(const std::string& username) { return "n/" + AsciiLowercase(username); }

std::string AuthService::NewBotToken(uint64_t bot, auth::UserRecord& account) {
  static const char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
  std::string secret = env_->SecretBytes(kTokenChars);
  for (char& c : secret) c = kAlphabet[static_cast<unsigned char>(c) & 63];
  account.set_bot_secret_hash(SecretHash(secret));
  account.set_bot_token_generation(account.bot_token_generation() + 1);
  return std::to_string(bot) + ":" + secret;
}

void AuthService::HandleCreateBot(const Incoming& in, const auth::CreateBot& req) {
  const ReplyTo& to = in.reply_to;
  if (!ValidBotUsername(req.username())) {
    return AnswerError(to, api::BAD_REQUEST,
                       "a bot's username is 5-32 letters, digits or underscores, starts with a letter and ends in "
                       "\"bot\"");
  }
  if (!ValidName(req.first_name(), true)) return AnswerError(to, api::FIRSTNAME_INVALID, "the name is not valid");
  OpenBotFor(to, req, UsernameKey(req.username()), false);
}

void AuthService::OpenBotFor(const ReplyTo& to, const auth::CreateBot& req, const std::string& name_key, bool retried) {
  Status s;
  const auto bytes = env_->Kv().Get(name_key, &s);
  auth::UsernameRecord rec;
  if (!s.ok() || (bytes && !rec.ParseFromString(*bytes))) return AnswerError(to, api::INTERNAL, "store failed");
  if (rec.user() == 0) {
    // Written before the account, so a retry after a failure reuses the id.
    rec.set_user(NewUserId(*env_));
    WriteBatch batch;
    batch.Put(name_key, rec.SerializeAsString());
    if (!Commit(to, batch)) return;
  }
  auto open = NewBody<auth::OpenBot>();
  open->set_user(rec.user());
  open->set_username(req.username());
  open->set_first_name(req.first_name());
  open->set_reads_all_group_messages(req.reads_all_group_messages());
  env_->Call(AuthOfUser(shape_, rec.user()), std::move(open), limits_.peer_timeout,
             [this, to, req, name_key, retried](const CallResult& r) {
               if (!r.ok()) return AnswerError(to, api::TIMEOUT, "the account service did not answer; retry");
               const auto* answer = r.As<rpc::ClientAnswer>();
               const bool collided = answer && answer->frame().error().code() == api::PHONE_NUMBER_OCCUPIED;
               if (!collided || retried) return env_->Reply(to, r.body);
               // The id is a person's: draw another.
               WriteBatch batch;
               batch.Delete(name_key);
               if (!Commit(to, batch)) return;
               env_->Stats().Add("auth.bot_id_collisions");
               OpenBotFor(to, req, name_key, true);
             });
}

void AuthService::HandleOpenBot(const Incoming& in, const auth::OpenBot& req) {
  const ReplyTo& to = in.reply_to;
  auth::UserRecord account;
  bool found = false;
  if (!LoadUser(to, req.user(), &account, &found)) return;
  if (found && !account.bot()) return AnswerError(to, api::PHONE_NUMBER_OCCUPIED, "the id belongs to a person");
  if (found) return AnswerError(to, api::BAD_REQUEST, "the username is taken");
  account.set_bot(true);
  account.set_username(req.username());
  account.set_first_name(req.first_name());
  account.set_bot_reads_all(req.reads_all_group_messages());
  account.set_created_us(env_->Date());
  auto token = NewBody<auth::BotToken>();
  token->set_token(NewBotToken(req.user(), account));
  if (!SaveAccount(to, req.user(), account)) return;
  *token->mutable_bot() = AccountOf(req.user(), account);
  env_->Stats().Add("auth.bots_created");
  env_->Reply(to, std::move(token));
}

void AuthService::HandleRevokeBotToken(const Incoming& in, const auth::RevokeBotToken& req) {
  const ReplyTo& to = in.reply_to;
  auth::UserRecord account;
  bool found = false;
  if (!LoadUser(to, req.bot(), &account, &found)) return;
  if (!found || !account.bot()) return AnswerError(to, api::BOT_INVALID, "no such bot");
  auto token = NewBody<auth::BotToken>();
  token->set_token(NewBotToken(req.bot(), account));
  if (!SaveAccount(to, req.bot(), account)) return;
  *token->mutable_bot() = AccountOf(req.bot(), account);
  for (uint32_t i = 0; i < shape_.Count(role::kBotApi); ++i) {
    auto revoked = NewBody<botapi::TokenRevoked>();
    revoked->set_bot(req.bot());
    env_->Send(MakeAddress(role::kBotApi, i), std::move(revoked));
  }
  env_->Stats().Add("auth.bot_tokens_revoked");
  env_->Reply(to, std::move(token));
}

void AuthService::HandleFindBot(const Incoming& in, const auth::FindBot& req) {
  Status s;
  const auto bytes = env_->Kv().Get(UsernameKey(req.username()), &s);
  auth::UsernameRecord rec;
  if (!s.ok() || (bytes && !rec.ParseFromString(*bytes))) return AnswerError(in.reply_to, api::INTERNAL, "failed");
  auto account = NewBody<auth::BotAccount>();
  account->set_id(rec.user());
  account->set_username(req.username());
  env_->Reply(in.reply_to, std::move(account));
}

void AuthService::HandleCheckBotToken(const Incoming& in, const auth::CheckBotToken& req) {
  const ReplyTo& to = in.reply_to;
  auth::UserRecord account;
  bool found = false;
  if (!LoadUser(to, req.bot(), &account, &found)) return;
  env_->Stats().Add("auth.bot_token_checks");
  if (!found || !account.bot() || !ConstantTimeEqual(SecretHash(req.secret()), account.bot_secret_hash())) {
    return AnswerError(to, api::TOKEN_INVALID, "Unauthorized");
  }
  env_->Reply(to, std::make_shared<auth::BotAccount>(AccountOf(req.bot(), account)));
}

void AuthService::HandleGetProfiles(const Incoming& in, const auth::GetProfiles& req) {
  auto out = NewBody<auth::Profiles>();
  for (int i = 0; i < req.users_size() && i < static_cast<int>(kMaxProfiles); ++i) {
    Status s;
    const auto bytes = env_->Kv().Get(UserKey(req.users(i)), &s);
    auth::UserRecord rec;
    if (!s.ok() || !bytes || !rec.ParseFromString(*bytes)) continue;
    auth::Profile* p = out->add_profiles();
    p->set_id(req.users(i));
    p->set_first_name(rec.first_name());
    p->set_last_name(rec.last_name());
    p->set_username(rec.username());
    p->set_bot(rec.bot());
  }
  env_->Reply(in.reply_to, std::move(out));
}

}  // namespace msgbed
