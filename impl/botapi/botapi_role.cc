#include "botapi/botapi_role.h"

#include <cmath>

#include "botapi/bot_api_service.h"

namespace msgbed {

RoleSpec BotApiRole() {
  using K = SettingSpec::Kind;
  const BotApiLimits d;
  RoleSpec spec;
  spec.name = role::kBotApi;
  spec.summary = "the Bot API server: third-party bots over HTTP on the Telegram Bot API's conventions";
  spec.has_clients = true;
  spec.client_protocol = RoleSpec::ClientProtocol::kHttp;
  spec.serves = {{botapi::Relay::descriptor(), 10e-6},        {botapi::TokenRevoked::descriptor(), 5e-6},
                 {gateway::Push::descriptor(), 10e-6},        {gateway::CloseConnection::descriptor(), 5e-6},
                 {sync::PresenceQuery::descriptor(), 100e-6}, {botapi::CallbackQuery::descriptor(), 20e-6}};
  // An HTTP request: parsing, JSON in and out (a few times a device frame's).
  spec.other_costs = {{"reply", 15e-6}, {"client_frame", 60e-6}};
  spec.uses_bus = true;  // bots coming online (sync.DeviceOnline)
  spec.topics = {kUpdatesTopic};
  spec.settings = {
      {"messages_per_second", K::kCount, d.messages_per_second, "messages a bot may send per second (then 429)"},
      {"chat_messages_per_second", K::kCount, d.chat_messages_per_second,
       "messages a bot may send per second to one private chat, after chat_burst"},
      {"chat_burst", K::kCount, d.chat_burst, "messages a bot may send to one private chat at once"},
      {"group_messages_per_minute", K::kCount, d.group_messages_per_minute,
       "messages a bot may send per minute to one group"},
      {"max_long_poll", K::kDuration, double(d.max_long_poll) / kSecond, "the longest getUpdates timeout honoured"},
      {"request_timeout", K::kDuration, double(d.request_timeout) / kSecond,
       "calls to other services fail after this (the bot gets 502 or 504)"},
      {"retention", K::kDuration, double(d.retention) / kSecond, "updates not fetched within this are dropped"},
      {"max_connections", K::kCount, double(d.max_connections), "HTTP connections per instance"},
      {"max_connections_per_source", K::kCount, double(d.max_connections_per_source),
       "HTTP connections from one address"},
      {"webhook_any_port", K::kCount, 0, "1: webhooks to any port, not only 80, 88, 443 and 8443", 1}};
  spec.make = [](Env* env, const ClusterShape& shape, const RoleSettings& settings) {
    const RoleSpec& self = RoleRegistry::Global().Get(role::kBotApi);
    auto get = [&](const char* key) { return SettingOr(self, settings, key); };
    auto micros = [&](const char* key) { return static_cast<Micros>(std::llround(get(key) * kSecond)); };
    BotApiLimits limits;
    limits.messages_per_second = get("messages_per_second");
    limits.chat_messages_per_second = get("chat_messages_per_second");
    limits.chat_burst = get("chat_burst");
    limits.group_messages_per_minute = get("group_messages_per_minute");
    limits.max_long_poll = micros("max_long_poll");
    limits.request_timeout = micros("request_timeout");
    limits.retention = micros("retention");
    limits.max_connections = static_cast<uint32_t>(get("max_connections"));
    limits.max_connections_per_source = static_cast<uint32_t>(get("max_connections_per_source"));
    limits.webhook_any_port = get("webhook_any_port") != 0;
    return std::make_unique<BotApiService>(env, shape, limits);
  };
  return spec;
}

}  // namespace msgbed
