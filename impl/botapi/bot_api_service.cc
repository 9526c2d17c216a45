// BotApiService: requests, tokens, relaying, and the bot's presence.
#include "botapi/bot_api_service.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <unordered_set>

#include "auth/placement.h"
#include "botapi/placement.h"
#include "core/client_reply.h"
#include "core/epoch.h"
#include "core/utf8.h"

namespace msgbed {

namespace {

struct BotApiServiceRequestView {
  uint64_t* bot;
  std::string* secret;
  std::string* method;
  std::string* file_path;
};

// Relayed requests may be long polls, and downloads: the bulk lane.
constexpr Micros kRelayDeadline = 65 * kSecond;

// "/bot<id>:<secret>/<rest>": false when path is not one.
bool ParseBotPath(const std::string& path, uint64_t* bot, std::string* secret, std::string* rest) {
  if (path.rfind("/bot", 0) != 0) return false;
  const size_t colon = path.find(':', 4), slash = path.find('/', 4);
  if (colon == std::string::npos || slash == std::string::npos || colon > slash) return false;
  const char* first = path.data() + 4;
  auto [end, ec] = std::from_chars(first, path.data() + colon, *bot);
  if (ec != std::errc() || end != path.data() + colon || *bot == 0) return false;
  *secret = path.substr(colon + 1, slash - colon - 1);
  *rest = path.substr(slash + 1);
  return !secret->empty();
}

// A request's bot, and its method or (a download) its file path.
bool ParseRequestPath(const std::string& path, BotApiServiceRequestView out) {
  const bool file = path.rfind("/file/bot", 0) == 0;
  std::string rest;
  if (!ParseBotPath(file ? path.substr(5) : path, out.bot, out.secret, &rest)) return false;
  if (file) *out.file_path = rest;
  if (!file) *out.method = AsciiLowercase(rest);
  return !file || !rest.empty();
}

}  // namespace

const std::string& BotApiService::Request::Param(const std::string& key) const {
  static const std::string kEmpty;
  auto it = call.params().find(key);
  return it == call.params().end() ? kEmpty : it->second;
}

BotApiService::BotApiService(Env* env, ClusterShape shape, BotApiLimits limits)
    : env_(env),
      clients_(env->Clients()),
      shape_(std::move(shape)),
      limits_(limits),
      epoch_(NextEpoch(*env, "botapi/epoch", "botapi.epoch_not_stored")) {
  env_->StartTimer(0, [this] { ResumeWebhooks(); });
}

void BotApiService::Register(Handlers& handlers) {
  handlers.On(this, &BotApiService::OnRelay);
  handlers.On(this, &BotApiService::OnTokenRevoked);
  handlers.On(this, &BotApiService::OnPush);
  handlers.On(this, &BotApiService::OnCloseConnection);
  handlers.On(this, &BotApiService::OnPresenceQuery);
  handlers.On(this, &BotApiService::OnCallbackQuery);
}

void BotApiService::OnClientOpened(ConnId conn, std::string_view source) {
  auto [at, fresh] = sources_.try_emplace(std::string(source), 0);
  ++at->second;
  conns_[conn] = at->first;
  if (conns_.size() > limits_.max_connections || at->second > limits_.max_connections_per_source) {
    env_->Stats().Add("botapi.connections_refused");
    clients_->CloseClient(conn, "too many connections");
    OnClientClosed(conn);  // counted out now: its close may come later
  }
  env_->Stats().Set("botapi.connections", static_cast<int64_t>(conns_.size()));
}

void BotApiService::OnClientClosed(ConnId conn) {
  auto it = conns_.find(conn);
  if (it == conns_.end()) return;
  auto source = sources_.find(it->second);
  if (source != sources_.end() && --source->second == 0) sources_.erase(source);
  conns_.erase(it);
  env_->Stats().Set("botapi.connections", static_cast<int64_t>(conns_.size()));
}

void BotApiService::OnClientFrame(ConnId conn, const api::ClientFrame& frame) {
  auto req = std::make_shared<Request>();
  req->conn = conn;
  req->id = frame.request_id();
  if (!frame.has_bot_call()) {
    env_->Stats().Add("botapi.not_bot_calls");
    return clients_->CloseClient(conn, "not a Bot API request");
  }
  req->call = frame.bot_call();
  env_->Stats().Add("botapi.requests");
  Serve(std::move(req));
}

void BotApiService::Serve(RequestPtr req) {
  const std::string& path = req->call.path();
  const std::string& verb = req->call.http_method();
  if (!verb.empty() && verb != "GET" && verb != "POST") return Fail(*req, 405, "Method Not Allowed: use GET or POST");
  if (path.rfind("/admin/", 0) == 0) return ServeOperator(std::move(req));
  if (!ParseRequestPath(path, {&req->bot, &req->secret, &req->method, &req->file_path})) {
    return Fail(*req, 404, "Not Found");
  }
  const Address owner = BotApiOf(shape_, req->bot);
  if (!req->relayed && !SameAddress(owner, env_->Self())) {
    auto relay = NewBody<botapi::Relay>();
    *relay->mutable_call() = req->call;
    relay->set_bot(req->bot);
    env_->Stats().Add("botapi.relayed");
    return env_->Transfer(owner, std::move(relay), kRelayDeadline, [this, req](const CallResult& r) {
      const auto* answer = r.As<rpc::ClientAnswer>();
      if (!answer || !answer->frame().has_bot_answer()) return FailCall(*req, r);
      AnswerFrame(*req, answer->frame());
    });
  }
  // Nothing is kept for a bot until its token checks out: wrong tokens
  // cannot grow this instance's memory.
  auto known = bots_.find(req->bot);
  if (known != bots_.end() && !known->second.secret.empty() &&
      env_->Now() - known->second.checked_at < limits_.token_cache) {
    if (known->second.secret != req->secret) return Fail(*req, 401, "Unauthorized");
    return Authenticated(std::move(req), known->second);
  }
  auto check = NewBody<auth::CheckBotToken>();
  check->set_bot(req->bot);
  check->set_secret(req->secret);
  env_->Call(AuthOfUser(shape_, req->bot), std::move(check), limits_.request_timeout, [this, req](const CallResult& r) {
    const auto* account = r.As<auth::BotAccount>();
    if (account == nullptr) {
      if (r.As<rpc::ClientAnswer>()) return Fail(*req, 401, "Unauthorized");
      return FailCall(*req, r);
    }
    Bot& bot = bots_[req->bot];
    bot.account = *account;
    bot.secret = req->secret;
    bot.checked_at = env_->Now();
    Authenticated(req, bot);
  });
}

void BotApiService::Authenticated(RequestPtr req, Bot& bot) {
  if (!bot.loaded && LoadBot(req->bot) == nullptr) return Fail(*req, 500, "Internal Server Error: retry");
  env_->Stats().Add("botapi.methods." + req->method);
  Dispatch(std::move(req), bot);
}

void BotApiService::Dispatch(RequestPtr req, Bot& bot) {
  if (!req->file_path.empty()) {
    const std::string path = req->file_path;
    return Download(std::move(req), bot, path);
  }
  const std::string& m = req->method;
  if (m == "getme") return GetMe(std::move(req), bot);
  if (m == "getupdates") return GetUpdates(std::move(req), bot);
  if (m == "sendmessage") return SendMessage(std::move(req), bot);
  if (m == "editmessagetext") return EditMessageText(std::move(req), bot);
  if (m == "deletemessage") return DeleteMessage(std::move(req), bot);
  if (m == "forwardmessage") return ForwardMessage(std::move(req), bot, false);
  if (m == "copymessage") return ForwardMessage(std::move(req), bot, true);
  if (m == "sendchataction") return SendChatAction(std::move(req), bot);
  if (m == "getchat") return GetChat(std::move(req), bot);
  if (m == "setwebhook") return SetWebhook(std::move(req), bot, true);
  if (m == "deletewebhook") return SetWebhook(std::move(req), bot, false);
  if (m == "getwebhookinfo") return GetWebhookInfo(std::move(req), bot);
  if (m == "answercallbackquery") return AnswerCallbackQuery(std::move(req), bot);
  if (m == "senddocument") return SendFile(std::move(req), bot, "document");
  if (m == "sendphoto") return SendFile(std::move(req), bot, "photo");
  if (m == "getfile") return GetFile(std::move(req), bot);
  Fail(*req, 404, "Not Found: method not found");
}

void BotApiService::Answer(const Request& req, uint32_t status, std::string body, uint32_t retry_after_s) {
  api::ServerFrame frame;
  api::BotAnswer* a = frame.mutable_bot_answer();
  a->set_status(status);
  a->set_content_type("application/json");
  a->set_body(std::move(body));
  a->set_retry_after_s(retry_after_s);
  AnswerFrame(req, std::move(frame));
}

void BotApiService::AnswerFrame(const Request& req, api::ServerFrame frame) {
  if (req.relayed) return AnswerClient(*env_, req.relay, std::move(frame));
  frame.set_request_id(req.id);
  clients_->SendToClient(req.conn, std::move(frame));
}

void BotApiService::Ok(const Request& req, const botjson::Json& result) { Answer(req, 200, botjson::OkBody(result)); }

void BotApiService::Fail(const Request& req, uint32_t status, const std::string& description, uint32_t retry_after_s) {
  env_->Stats().Add("botapi.errors." + std::to_string(status));
  Answer(req, status, botjson::ErrorBody(status, description, retry_after_s), retry_after_s);
}

void BotApiService::FailWith(const Request& req, const api::Error& error) {
  switch (error.code()) {
    case api::PEER_ID_INVALID:
    case api::CHAT_ID_INVALID: return Fail(req, 400, "Bad Request: chat not found");
    case api::MESSAGE_EMPTY: return Fail(req, 400, "Bad Request: message text is empty");
    case api::MESSAGE_TOO_LONG: return Fail(req, 400, "Bad Request: message is too long");
    case api::MESSAGE_INVALID: return Fail(req, 400, "Bad Request: text must be encoded in UTF-8");
    case api::MESSAGE_ID_INVALID: return Fail(req, 400, "Bad Request: message not found");
    case api::MESSAGE_NOT_MODIFIED:
      return Fail(req, 400,
                  "Bad Request: message is not modified: specified new message content and reply markup are "
                  "exactly the same as a current content and reply markup of the message");
    case api::MESSAGE_AUTHOR_REQUIRED: return Fail(req, 400, "Bad Request: message can't be edited");
    case api::MESSAGE_DELETE_FORBIDDEN: return Fail(req, 400, "Bad Request: message can't be deleted");
    case api::CHAT_WRITE_FORBIDDEN:
    case api::USER_NOT_PARTICIPANT: return Fail(req, 403, "Forbidden: bot is not a member of the group chat");
    case api::FLOOD_WAIT:
      return Fail(req, 429, "Too Many Requests: retry after " + std::to_string(error.retry_after_s()),
                  std::max<uint32_t>(error.retry_after_s(), 1));
    case api::BAD_REQUEST: return Fail(req, 400, "Bad Request: " + error.message());
    case api::BOT_INVALID: return Fail(req, 400, "Bad Request: not a bot");
    default: return Fail(req, 500, "Internal Server Error: retry");
  }
}

void BotApiService::FailCall(const Request& req, const CallResult& r) {
  if (const auto* answer = r.As<rpc::ClientAnswer>(); answer && answer->frame().has_error()) {
    return FailWith(req, answer->frame().error());
  }
  env_->Stats().Add("botapi.call_failures");
  Fail(req, r.error == rpc::DEADLINE_EXCEEDED ? 504 : 502, "Bad Gateway: the service did not answer; retry");
}

void BotApiService::OnRelay(const Incoming& in, const botapi::Relay& relay) {
  auto req = std::make_shared<Request>();
  req->relay = in.reply_to;
  req->relayed = true;
  req->call = relay.call();
  Serve(std::move(req));
}

void BotApiService::OnTokenRevoked(const Incoming&, const botapi::TokenRevoked& revoked) {
  auto it = bots_.find(revoked.bot());
  if (it != bots_.end()) it->second.secret.clear();
}

// --- Operator requests (the runtime checked the operator's credential).

void BotApiService::ServeOperator(RequestPtr req) {
  if (!req->call.operator_()) return Fail(*req, 401, "Unauthorized: the operator's credential is missing or wrong");
  const std::string op = req->call.path().substr(7);
  auto done = [this, req](const CallResult& r) {
    if (const auto* token = r.As<auth::BotToken>()) {
      return Ok(*req, {{"id", token->bot().id()}, {"username", token->bot().username()}, {"token", token->token()}});
    }
    if (const auto* found = r.As<auth::BotAccount>()) {
      if (found->id() == 0) return Fail(*req, 404, "Not Found: no bot has this username");
      return Ok(*req, {{"id", found->id()}, {"username", found->username()}});
    }
    FailCall(*req, r);
  };
  if (op == "createBot") {
    auto create = NewBody<auth::CreateBot>();
    create->set_username(req->Param("username"));
    create->set_first_name(req->Has("first_name") ? req->Param("first_name") : req->Param("username"));
    create->set_reads_all_group_messages(botjson::ParseBool(req->Param("reads_all_group_messages")));
    const Address to = AuthOfUsername(shape_, create->username());
    return env_->Call(to, std::move(create), limits_.request_timeout, done);
  }
  if (op == "revokeToken") {
    uint64_t bot = 0;
    const std::string& id = req->Param("bot_id");
    if (std::from_chars(id.data(), id.data() + id.size(), bot).ec != std::errc() || bot == 0) {
      return Fail(*req, 400, "Bad Request: bot_id is not a bot's id");
    }
    auto revoke = NewBody<auth::RevokeBotToken>();
    revoke->set_bot(bot);
    return env_->Call(AuthOfUser(shape_, bot), std::move(revoke), limits_.request_timeout, done);
  }
  if (op == "findBot") {
    auto find = NewBody<auth::FindBot>();
    find->set_username(req->Param("username"));
    const Address to = AuthOfUsername(shape_, find->username());
    // The username as the bot has it, not as asked: from its profile.
    return env_->Call(to, std::move(find), limits_.request_timeout, [this, req, done](const CallResult& r) {
      const auto* found = r.As<auth::BotAccount>();
      if (found == nullptr || found->id() == 0) return done(r);
      WithProfiles({found->id()}, [this, req, id = found->id()] {
        const auth::Profile* p = ProfileOf(id);
        Ok(*req, {{"id", id}, {"username", p ? p->username() : ""}});
      });
    });
  }
  Fail(*req, 404, "Not Found: no such operator request");
}

// --- Presence: this instance is the bots' "gateway" to sync.

rpc::ClientRef BotApiService::RefOf(uint64_t bot) const {
  rpc::ClientRef ref;
  *ref.mutable_gateway() = env_->Self();
  ref.set_epoch(epoch_);
  ref.set_conn(bot);
  ref.set_user(bot);
  ref.set_device(kBotDevice);
  return ref;
}

void BotApiService::OnPush(const Incoming& in, const gateway::Push& push) {
  const rpc::ClientRef& ref = push.client();
  auto it = bots_.find(ref.user());
  if (ref.epoch() != epoch_ || ref.conn() != ref.user() || it == bots_.end() || !it->second.online) {
    auto gone = NewBody<sync::ConnectionGone>();
    *gone->mutable_client() = ref;
    return env_->Send(in.from, std::move(gone));
  }
  if (push.frame().has_update()) Pull(ref.user());
}

void BotApiService::OnCloseConnection(const Incoming&, const gateway::CloseConnection& req) {
  // Another instance registered the bot (a reshape moved it there).
  auto it = bots_.find(req.client().user());
  if (it != bots_.end() && req.client().epoch() == epoch_) it->second.online = false;
}

void BotApiService::OnPresenceQuery(const Incoming& in, const sync::PresenceQuery& req) {
  const std::unordered_set<uint32_t> asked(req.partitions().begin(), req.partitions().end());
  auto snapshot = NewBody<sync::PresenceSnapshot>();
  for (const auto& [id, bot] : bots_) {
    if (bot.online && asked.contains(shape_.PartitionOf(id))) *snapshot->add_clients() = RefOf(id);
  }
  env_->Reply(in.reply_to, std::move(snapshot));
}

void BotApiService::GoOnline(Bot& bot) {
  if (bot.online) return;
  bot.online = true;
  const uint64_t id = bot.account.id();
  auto online = NewBody<sync::DeviceOnline>();
  *online->mutable_client() = RefOf(id);
  online->set_published_us(env_->Date());
  env_->CallOnBus(kUpdatesTopic, ClusterShape::UserKey(id), std::move(online), limits_.request_timeout,
                  [this, id](const CallResult& r) {
                    auto it = bots_.find(id);
                    if (it == bots_.end()) return;
                    // Registered: whatever is stored before is read now, what comes after is pushed.
                    if (r.ok()) return Pull(id);
                    it->second.online = false;
                    env_->Stats().Add("botapi.online_failures");
                  });
}

}  // namespace msgbed
