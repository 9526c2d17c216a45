// BotApiService: inline buttons. A user's press (botapi.CallbackQuery from
// the gateway) becomes a callback_query update in the bot's queue, and
// waits, volatile, for the bot's answerCallbackQuery, which is the answer
// the user gets; BOT_RESPONSE_TIMEOUT if none comes in time.
#include "botapi/bot_api_service.h"
#include "botapi/bot_keys.h"
#include "core/client_reply.h"
#include "core/sha256.h"

namespace msgbed {

namespace {

using botjson::Json;

}  // namespace

bool BotApiService::QueueOwn(Bot& bot, const std::string& type, const Json& object) {
  botapi::QueuedUpdate q;
  q.set_update_id(bot.state.next_update_id());
  q.set_date_us(env_->Date());
  q.set_type(type);
  q.set_json(botjson::Dump(object));
  WriteBatch batch;
  batch.Put(BotQueueKey(bot.account.id(), q.update_id()), q.SerializeAsString());
  bot.state.set_next_update_id(q.update_id() + 1);
  if (!SaveState(bot, batch)) return false;
  env_->Stats().Add("botapi.updates_queued");
  AnswerPoll(bot, false);
  DeliverWebhook(bot.account.id());
  return true;
}

namespace {

// Whether m is the bot's and carries a button whose callback_data is data.
bool HasButton(const api::Message& m, uint64_t bot, const std::string& data) {
  if (m.from_user() != bot || m.reply_markup().empty()) return false;
  const Json markup = Json::parse(m.reply_markup(), nullptr, false);
  if (!markup.is_object() || !markup.contains("inline_keyboard")) return false;
  for (const Json& row : markup["inline_keyboard"]) {
    for (const Json& b : row.is_array() ? row : Json::array()) {
      if (b.is_object() && b.contains("callback_data") && b["callback_data"] == data) return true;
    }
  }
  return false;
}

}  // namespace

void BotApiService::OnCallbackQuery(const Incoming& in, const botapi::CallbackQuery& query) {
  const api::GetBotCallbackAnswer& press = query.request();
  const uint64_t user = query.client().user(), bot_id = press.bot();
  const ReplyTo to = in.reply_to;
  // Only a real button of a real message of this bot, in the bot's own box
  // (where the message is origin_id), is forwarded: a client cannot make up
  // callback queries, nor reach a bot that does not exist.
  LookUp(bot_id, press.chat_id() == 0 ? user : 0, press.chat_id(), press.origin_id(),
         [this, to, user, bot_id, press](const api::Message* m, bool failed) {
           if (failed) return AnswerClient(*env_, to, ErrorFrame(api::TIMEOUT, "the bot's box did not answer"));
           if (m == nullptr || !HasButton(*m, bot_id, press.data())) {
             return AnswerClient(*env_, to, ErrorFrame(api::BOT_INVALID, "no such button"));
           }
           Queued(to, user, bot_id, *m, press.data());
         });
}

void BotApiService::Queued(const ReplyTo& to, uint64_t user, uint64_t bot_id, const api::Message& m,
                           const std::string& data) {
  WithProfiles({user, bot_id}, [this, to, user, bot_id, m, data] {
    Bot* bot = LoadBot(bot_id);
    if (bot == nullptr) return AnswerClient(*env_, to, ErrorFrame(api::INTERNAL, "the bot's store failed"));
    bot->account.set_id(bot_id);
    const std::string id = Hex(env_->SecretBytes(12));  // not guessable: only its bot may answer
    const botjson::Profiles profiles = ProfileLookup();
    Json object = {{"id", id},
                   {"from", botjson::UserJson(user, ProfileOf(user))},
                   {"message", botjson::MessageJson(m, profiles, TitleLookup())},
                   {"chat_instance", std::to_string(m.chat_id() != 0 ? m.chat_id() : user)},
                   {"data", data}};
    if (!QueueOwn(*bot, "callback_query", object)) {
      return AnswerClient(*env_, to, ErrorFrame(api::INTERNAL, "the bot's store failed"));
    }
    const TimerId timer = env_->StartTimer(limits_.callback_timeout, [this, id] {
      auto it = queries_.find(id);
      if (it == queries_.end()) return;
      AnswerClient(*env_, it->second.to, ErrorFrame(api::BOT_RESPONSE_TIMEOUT, "the bot did not answer"));
      queries_.erase(it);
      env_->Stats().Add("botapi.callback_timeouts");
    });
    queries_[id] = PendingQuery{to, timer, bot_id};
    if (!bot->online) GoOnline(*bot);
  });
}

void BotApiService::AnswerCallbackQuery(RequestPtr req, Bot& bot) {
  auto it = queries_.find(req->Param("callback_query_id"));
  if (it == queries_.end() || it->second.bot != bot.account.id()) {
    return Fail(*req, 400, "Bad Request: query is too old and response timeout expired or query ID is invalid");
  }
  env_->CancelTimer(it->second.timer);
  api::ServerFrame frame;
  api::BotCallbackAnswer* answer = frame.mutable_bot_callback_answer();
  answer->set_message(req->Param("text"));
  answer->set_alert(botjson::ParseBool(req->Param("show_alert")));
  answer->set_url(req->Param("url"));
  AnswerClient(*env_, it->second.to, std::move(frame));
  queries_.erase(it);
  Ok(*req, true);
}

}  // namespace msgbed
