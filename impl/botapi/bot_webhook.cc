// BotApiService: webhook delivery. The Bot API POSTs each update to the
// bot's URL and retries until the bot's server answers 2xx; msgbed does the
// same through the outbound port's webhook channel (live: an HTTP POST,
// impl/live/outbound_providers.h; simulated: the channel's delivery model),
// one update at a time per bot, in update_id order.
#include <algorithm>

#include "botapi/bot_api_service.h"
#include "botapi/bot_keys.h"

namespace msgbed {

namespace {

constexpr Micros kFirstRetry = kSecond;
constexpr Micros kLastRetry = 60 * kSecond;

}  // namespace

void BotApiService::DeliverWebhook(uint64_t bot_id) {
  Bot* bot = LoadBot(bot_id);
  if (bot == nullptr || bot->state.webhook_url().empty() || bot->delivering) return;
  botjson::Json next = ReadQueue(*bot, bot->state.first_update_id(), 1);
  if (next.empty()) return;
  if (env_->Outbound().Providers(kWebhookChannel) == 0) return env_->Stats().Add("botapi.no_webhook_provider");
  bot->delivering = true;
  const uint64_t update_id = next[0]["update_id"];
  OutboundMessage post{bot->state.webhook_url(), botjson::Dump(next[0]), bot->state.webhook_secret()};
  env_->Outbound().Deliver(kWebhookChannel, 0, post,
                           [this, bot_id, update_id](const Status& status) { WebhookDone(bot_id, update_id, status); });
}

void BotApiService::WebhookDone(uint64_t bot_id, uint64_t update_id, const Status& status) {
  Bot& bot = bots_[bot_id];
  bot.delivering = false;
  if (!bot.loaded) return DeliverWebhook(bot_id);
  if (status.ok()) {
    env_->Stats().Add("botapi.webhook_deliveries");
    bot.webhook_backoff = 0;
    if (!Confirm(bot, update_id + 1)) env_->Stats().Add("botapi.store_failures");
    return DeliverWebhook(bot_id);
  }
  env_->Stats().Add("botapi.webhook_failures");
  bot.state.set_webhook_last_error_date(env_->Date() / kSecond);
  bot.state.set_webhook_last_error("Wrong response from the webhook: " + status.message());
  WriteBatch none;
  SaveState(bot, none);
  bot.webhook_backoff = std::clamp(2 * bot.webhook_backoff, kFirstRetry, kLastRetry);
  env_->StartTimer(bot.webhook_backoff, [this, bot_id] { DeliverWebhook(bot_id); });
}

void BotApiService::ResumeWebhooks() {
  KvStore::Entries states;
  for (std::string from = "b/";;) {
    states.clear();
    if (!env_->Kv().Scan(from, "b0", 1000, &states).ok()) return env_->Stats().Add("botapi.store_failures");
    for (const auto& [key, value] : states) {
      botapi::BotState state;
      if (key.size() != 10 || !state.ParseFromString(value) || state.webhook_url().empty()) continue;
      const uint64_t id = FromBigEndian(key.data() + 2);
      Bot* bot = LoadBot(id);
      if (bot == nullptr) continue;
      bot->account.set_id(id);
      GoOnline(*bot);  // its pull delivers what came meanwhile
      DeliverWebhook(id);
    }
    if (states.size() < 1000) return;
    from = states.back().first + '\0';
  }
}

}  // namespace msgbed
