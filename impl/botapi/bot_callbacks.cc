// BotApiService: inline buttons. A user's press (botapi.CallbackQuery from
// the gateway) becomes a callback_query update in the bot's queue, and
// waits, volatile, for the bot's answerCallbackQuery, which is the answer
// the user gets; BOT_RESPONSE_TIMEOUT if none comes in time.
#include "botapi/bot_api_service.h"
#include "botapi/bot_keys.h"
#include "core/client_reply.h"

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

void BotApiService::OnCallbackQuery(const Incoming& in, const botapi::CallbackQuery& query) {
  const api::GetBotCallbackAnswer& press = query.request();
  const uint64_t user = query.client().user();
  Bot* bot = LoadBot(press.bot());
  auto refuse = [&](api::ErrorCode code, const char* why) { AnswerClient(*env_, in.reply_to, ErrorFrame(code, why)); };
  if (bot == nullptr) return refuse(api::INTERNAL, "the bot's store failed");
  const std::string id = std::to_string(epoch_) + "-" + std::to_string(next_query_++);
  WithProfiles({user, press.bot()}, [this, id, user, press, to = in.reply_to] {
    Bot& bot = bots_[press.bot()];
    bot.account.set_id(press.bot());
    api::Message m;
    m.set_id(press.origin_id());
    m.set_from_user(press.bot());
    m.set_peer_user(press.chat_id() == 0 ? user : 0);
    m.set_chat_id(press.chat_id());
    const auto profiles = [this](uint64_t u) { return ProfileOf(u); };
    Json object = {{"id", id},
                   {"from", botjson::UserJson(user, ProfileOf(user))},
                   {"message", botjson::MessageJson(m, profiles)},
                   {"chat_instance", std::to_string(press.chat_id() != 0 ? press.chat_id() : user)},
                   {"data", press.data()}};
    object["message"].erase("text");  // its text is the bot's to know
    if (!bot.loaded || !QueueOwn(bot, "callback_query", object)) {
      return AnswerClient(*env_, to, ErrorFrame(api::INTERNAL, "the bot's store failed"));
    }
    const TimerId timer = env_->StartTimer(limits_.callback_timeout, [this, id] {
      auto it = queries_.find(id);
      if (it == queries_.end()) return;
      AnswerClient(*env_, it->second.to, ErrorFrame(api::BOT_RESPONSE_TIMEOUT, "the bot did not answer"));
      queries_.erase(it);
      env_->Stats().Add("botapi.callback_timeouts");
    });
    queries_[id] = PendingQuery{to, timer};
    if (!bot.online) GoOnline(bot);
  });
}

void BotApiService::AnswerCallbackQuery(RequestPtr req, Bot&) {
  auto it = queries_.find(req->Param("callback_query_id"));
  if (it == queries_.end()) {
    return Fail(*req, 400, "Bad Request: query is too old and response timeout expired or query ID is invalid");
  }
  env_->CancelTimer(it->second.timer);
  api::ServerFrame frame;
  api::BotCallbackAnswer* answer = frame.mutable_bot_callback_answer();
  answer->set_message(req->Param("text"));
  answer->set_alert(req->Param("show_alert") == "true");
  answer->set_url(req->Param("url"));
  AnswerClient(*env_, it->second.to, std::move(frame));
  queries_.erase(it);
  Ok(*req, true);
}

}  // namespace msgbed
