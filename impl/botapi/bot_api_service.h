// BotApiService: the Bot API server (docs/bots.md). Third-party bots talk
// HTTP to it on the Telegram Bot API's conventions; it talks to the
// platform as the bots' one device, the way Telegram's own Bot API server
// is a client of its platform.
//
// Its runtime turns each HTTP request into an api.BotCall frame on a client
// connection and writes the api.BotAnswer frame back as the response
// (live: impl/live/http_client_server.h). A request names its bot by the
// token in its path (/bot<id>:<secret>/<method>); the instance that owns
// the bot (BotApiOf) serves it, others relay it there. The owner checks the
// token with the bot's auth instance (auth.CheckBotToken; cached until
// auth says it was revoked, botapi.TokenRevoked), then:
//   sendMessage, editMessageText, deleteMessage, forwardMessage,
//   copyMessage, sendChatAction  -> messages(the bot's box), as its device
//   getChat                      -> messages (groups), auth (users)
//   getUpdates, webhooks         -> the bot's update queue, below
//
// Updates: the bot is registered with sync like a device (sync.DeviceOnline
// through the bus, with a ClientRef naming this instance), so sync pushes
// its box updates here (gateway.Push). A push, or a getUpdates, makes the
// owner read the bot's box after the pts it has queued up to
// (messages.GetDifference), turn each new update into a Bot API Update
// with the next update_id, and write them and the new pts in one batch:
// the queue ("q/") and its state ("b/") survive restarts, so nothing is
// lost while a bot is offline, for 24 hours (the Bot API's retention).
// getUpdates with an offset confirms (deletes) the updates before it; one
// with a timeout waits until an update is queued (long polling). Groups:
// in privacy mode a bot sees commands, mentions of it and service
// messages; with reads_all_group_messages everything.
//
// Bounds: per bot about 30 messages a second, 1 a second per chat after a
// burst, 20 a minute per group (429 with retry_after beyond, as Telegram).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "botapi/bot_json.h"
#include "core/cluster.h"
#include "core/service.h"
#include "gateway/token_bucket.h"
#include "proto/auth.pb.h"
#include "proto/botapi.pb.h"
#include "proto/gateway.pb.h"
#include "proto/sync.pb.h"

namespace msgbed {

struct BotApiLimits {
  double messages_per_second = 30;        // per bot, all chats
  double chat_messages_per_second = 1;    // per chat ...
  double chat_burst = 5;                  // ... after this many at once
  double group_messages_per_minute = 20;  // per group chat
  Micros max_long_poll = 50 * kSecond;    // getUpdates timeout's ceiling
  Micros request_timeout = 10 * kSecond;  // calls to other services
  Micros retention = 24 * 3600 * kSecond;
  Micros token_cache = 600 * kSecond;  // a checked token is asked again after this
  // A pressed button waits this long for answerCallbackQuery, then the
  // user gets BOT_RESPONSE_TIMEOUT (inside the gateway's 10 s).
  Micros callback_timeout = 8 * kSecond;
  // HTTP connections, as the gateway bounds device connections.
  uint32_t max_connections = 10000;
  uint32_t max_connections_per_source = 100;
  // Webhooks only to Telegram's ports (80, 88, 443, 8443), unless set.
  bool webhook_any_port = false;
};

class BotApiService final : public Service {
 public:
  // The device id a bot's requests carry.
  static constexpr uint64_t kBotDevice = 1;

  BotApiService(Env* env, ClusterShape shape, BotApiLimits limits = {});

  void Register(Handlers& handlers) override;
  void OnReshape(const ClusterShape& now) override { shape_ = now; }
  void OnClientOpened(ConnId conn, std::string_view source) override;
  void OnClientFrame(ConnId conn, const api::ClientFrame& frame) override;
  void OnClientClosed(ConnId conn) override;

  // Bots this instance holds state for (tokens checked, queues loaded).
  size_t bots_held() const { return bots_.size(); }
  size_t connections() const { return conns_.size(); }

 private:
  // One HTTP request being served: from a connection here, or relayed.
  struct Request {
    ConnId conn = 0;
    uint64_t id = 0;
    ReplyTo relay;  // relayed: the answer goes back as the reply
    bool relayed = false;
    api::BotCall call;
    uint64_t bot = 0;
    std::string secret;
    std::string method;         // lowercased
    std::string file_path;      // a download: /file/bot<token>/<file_path>
    uint32_t poll_limit = 100;  // getUpdates waiting: its limit
    const std::string& Param(const std::string& key) const;
    bool Has(const std::string& key) const { return call.params().contains(key); }
  };
  using RequestPtr = std::shared_ptr<Request>;

  struct Bot {
    auth::BotAccount account;
    std::string secret;  // the token checked, until token_cache has passed
    Micros checked_at = 0;
    bool loaded = false;  // state read from the store
    botapi::BotState state;
    bool online = false;  // registered with sync
    bool pulling = false, pull_again = false;
    RequestPtr poll;          // a getUpdates waiting for updates
    bool delivering = false;  // a webhook POST in flight
    Micros webhook_backoff = 0;
    TimerId poll_timer = 0;
    TokenBucket all;
    std::unordered_map<int64_t, TokenBucket> chats;
    // Users who wrote to the bot (it may write to them), learnt from its
    // box; volatile, asked of the box again after a restart.
    std::unordered_set<uint64_t> known;
  };

  // Serving a request (bot_api_service.cc).
  void Serve(RequestPtr req);
  void ServeOperator(RequestPtr req);
  void Authenticated(RequestPtr req, Bot& bot);
  void Dispatch(RequestPtr req, Bot& bot);
  void Answer(const Request& req, uint32_t status, std::string body, uint32_t retry_after_s = 0);
  void AnswerFrame(const Request& req, api::ServerFrame frame);
  void Ok(const Request& req, const botjson::Json& result);
  void Fail(const Request& req, uint32_t status, const std::string& description, uint32_t retry_after_s = 0);
  // An api error frame as the Bot API's error.
  void FailWith(const Request& req, const api::Error& error);
  // A call to another service ended without its answer.
  void FailCall(const Request& req, const CallResult& r);
  void OnRelay(const Incoming& in, const botapi::Relay& relay);
  void OnTokenRevoked(const Incoming& in, const botapi::TokenRevoked& revoked);
  void OnPush(const Incoming& in, const gateway::Push& push);
  void OnCloseConnection(const Incoming& in, const gateway::CloseConnection& req);
  void OnPresenceQuery(const Incoming& in, const sync::PresenceQuery& req);
  rpc::ClientRef RefOf(uint64_t bot) const;

  // Methods that act in chats (bot_methods.cc).
  void GetMe(RequestPtr req, Bot& bot);
  void SendMessage(RequestPtr req, Bot& bot);
  void EditMessageText(RequestPtr req, Bot& bot);
  void DeleteMessage(RequestPtr req, Bot& bot);
  void ForwardMessage(RequestPtr req, Bot& bot, bool copy);
  void Forward(RequestPtr req, uint64_t bot, const api::Message& original, uint64_t user, uint64_t group);
  void SendChatAction(RequestPtr req, Bot& bot);
  void GetChat(RequestPtr req, Bot& bot);
  // The chat_id parameter: a user (> 0) or a basic group (< 0); answers 400
  // and returns false when it is neither.
  bool ChatParam(const Request& req, const std::string& key, uint64_t* user, uint64_t* group);
  // Takes a message's tokens for chat; answers 429 and returns false when
  // the bot is over a limit.
  bool RateAllows(const Request& req, Bot& bot, uint64_t user, uint64_t group);
  // Message `message` of the chat in the bot's box: done(m), or done with
  // nullptr when it is not there (failed: the box did not answer).
  void LookUp(uint64_t bot, uint64_t user, uint64_t group, uint64_t message,
              std::function<void(const api::Message* m, bool failed)> done);
  // Runs then() if the bot may write to user (0: a group: the box checks
  // membership): the user wrote to it first. Otherwise 403, or 400 for no
  // such user (or, reading: 400 "chat not found" for both).
  void IfMayWrite(RequestPtr req, Bot& bot, uint64_t user, std::function<void()> then, bool reading = false);
  // Message `message` of the chat in the bot's box, or 400 "Bad Request:
  // <missing>".
  void FetchMessage(RequestPtr req, uint64_t bot, uint64_t user, uint64_t group, uint64_t message,
                    const std::string& missing, std::function<void(const api::Message&)> done);
  // Calls the bot's box owner with body for req; done gets the frame.
  void CallBox(RequestPtr req, const Address& to, Body body, std::function<void(const api::ServerFrame&)> done);

  // Files (bot_files.cc).
  struct UploadJob;
  // sendDocument (field "document") and sendPhoto ("photo").
  void SendFile(RequestPtr req, Bot& bot, const std::string& field);
  void Upload(RequestPtr req, uint64_t bot, const api::BotFile& file, std::function<void(const api::Document&)> done);
  void GetFile(RequestPtr req, Bot& bot);
  // The document again with a fresh file reference (media.GetDocument).
  void Fresh(RequestPtr req, uint64_t bot, const api::Document& d, std::function<void(const api::Document&)> done);
  void Download(RequestPtr req, Bot& bot, const std::string& file_path);
  void FetchRange(RequestPtr req, uint64_t bot, const api::Document& d, std::shared_ptr<std::string> bytes);

  // Inline buttons (bot_callbacks.cc).
  void OnCallbackQuery(const Incoming& in, const botapi::CallbackQuery& query);
  void AnswerCallbackQuery(RequestPtr req, Bot& bot);
  // A verified press of button `data` on the bot's message m: queued for
  // the bot, the user's answer waiting for the bot's.
  void Queued(const ReplyTo& to, uint64_t user, uint64_t bot_id, const api::Message& m, const std::string& data);
  // Queues one update made here (not read from the box) for bot.
  bool QueueOwn(Bot& bot, const std::string& type, const botjson::Json& object);

  // The update queue (bot_updates.cc).
  void GetUpdates(RequestPtr req, Bot& bot);
  void SetWebhook(RequestPtr req, Bot& bot, bool set);
  void GetWebhookInfo(RequestPtr req, Bot& bot);
  // Reads the bot's box after its queued pts, queues what is new, wakes a
  // waiting getUpdates.
  void Pull(uint64_t bot_id);
  void Pulled(uint64_t bot_id, const CallResult& r);
  void Queue(uint64_t bot_id, const api::Difference& diff);
  // Webhooks (bot_webhook.cc): POSTs the oldest queued update, one at a
  // time and in order; a 2xx confirms it, anything else is retried after
  // 1 s doubling to 60 s, and shown by getWebhookInfo.
  void DeliverWebhook(uint64_t bot_id);
  void WebhookDone(uint64_t bot_id, uint64_t update_id, const Status& status);
  // At start: bots with a webhook are registered and delivered to again.
  void ResumeWebhooks();
  // Registers the bot with sync (once per start of this instance).
  void GoOnline(Bot& bot);
  // Answers bot.poll with what is queued, if anything is (or `always`).
  void AnswerPoll(Bot& bot, bool always);
  // Up to limit queued updates from offset, as a JSON array; deletes the
  // expired ones on the way.
  botjson::Json ReadQueue(Bot& bot, uint64_t offset, uint32_t limit);
  // Deletes the updates before offset.
  bool Confirm(Bot& bot, uint64_t offset);
  bool SaveState(Bot& bot, WriteBatch& batch);
  Bot* LoadBot(uint64_t bot_id);
  // The profiles of users, fetched from auth where not known; then done.
  void WithProfiles(std::vector<uint64_t> users, std::function<void()> done) {
    FetchProfiles(std::move(users), [done = std::move(done)](bool) { done(); });
  }
  // The titles of basic groups, asked of the bot's box where not known
  // (messages.GetChat as the bot); then done. One not answered stays
  // untitled.
  void WithTitles(uint64_t bot, std::vector<uint64_t> groups, std::function<void()> done);
  std::string TitleOf(uint64_t group) const;
  botjson::Profiles ProfileLookup() const {
    return [this](uint64_t user) { return ProfileOf(user); };
  }
  botjson::Titles TitleLookup() const {
    return [this](uint64_t group) { return TitleOf(group); };
  }
  // As WithProfiles; failed: an auth instance did not answer.
  void FetchProfiles(std::vector<uint64_t> users, std::function<void(bool failed)> done);
  const auth::Profile* ProfileOf(uint64_t user) const;

  Env* env_;
  ClientPort* clients_;
  ClusterShape shape_;
  const BotApiLimits limits_;
  const uint64_t epoch_;
  std::unordered_map<uint64_t, Bot> bots_;
  std::unordered_map<uint64_t, auth::Profile> profiles_;
  std::unordered_map<uint64_t, std::string> titles_;  // basic groups'
  struct PendingQuery {
    ReplyTo to;
    TimerId timer = 0;
    uint64_t bot = 0;  // only it may answer
  };
  std::unordered_map<std::string, uint32_t> sources_;      // connections per source address
  std::unordered_map<ConnId, std::string> conns_;          // connection -> its source
  std::unordered_map<std::string, PendingQuery> queries_;  // by callback_query id
};

}  // namespace msgbed
