#include "bot_population.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "bot_traffic.h"
#include "message_names.h"
#include "service_node.h"
#include "world.h"

namespace msgbed::sim {
namespace {

constexpr int kEchoSenders = BotLoad::kEchoConnections - 1;
constexpr double kReconnectAfter = 1;  // seconds
constexpr double kMaxBackoff = 16;     // seconds, after 5xx in a row
constexpr const char* kPollTimeout = "25";

}  // namespace

BotPopulation::BotPopulation(World* world, uint32_t botapi, const Placement& at)
    : ClientSide(world, "bots/" + std::to_string(botapi), at), index_(botapi) {}

void BotPopulation::AddBot(uint64_t id, std::string token, bool broadcast) {
  auto bot = std::make_unique<Bot>();
  bot->id = id;
  bot->token = std::move(token);
  bot->broadcast = broadcast;
  const int conns =
      broadcast ? static_cast<int>(world_->scenario.workload.bots.broadcast_connections) : 1 + kEchoSenders;
  for (int i = 0; i < conns; ++i) {
    auto c = std::make_unique<Conn>();
    c->bot = bot.get();
    c->polls = !broadcast && i == 0;
    if (!c->polls) bot->senders.push_back(c.get());
    conns_.push_back(std::move(c));
  }
  bots_.push_back(std::move(bot));
}

void BotPopulation::Begin(ServiceNode* botapi, BotTraffic* traffic) {
  botapi_ = botapi;
  traffic_ = traffic;
  for (auto& c : conns_) Open(*c);
  for (auto& c : conns_) {
    if (c->polls) Poll(*c);
  }
  Post(traffic_->BroadcastAt(), 0, [this] {
    for (auto& bot : bots_) {
      if (!bot->broadcast) continue;
      bot->next_recipient = 1;
      for (Conn* c : bot->senders) Next(*c);
    }
  });
}

// A new connection (ids are never reused, as the live runtime's are not).
void BotPopulation::Open(Conn& c) {
  by_id_.erase(c.id);
  c.id = next_conn_++;
  by_id_[c.id] = &c;
  ServiceNode* api = botapi_;
  const double cpu = world_->DrawCost(botapi_->role().name + ".client_frame");
  Transmit(*api, "open", 0, cpu,
           [api, conn = c.id, source = "bot-" + std::to_string(c.bot->id)] { api->ClientOpened(conn, source); });
}

void BotPopulation::Issue(Conn& c, double delay) {
  c.busy = true;
  if (delay > 0) {
    Post(world_->Now() + delay, 0, [this, &c] { Issue(c); });
    return;
  }
  api::ClientFrame frame;
  c.request_id = next_request_++;
  frame.set_request_id(c.request_id);
  api::BotCall& call = *frame.mutable_bot_call();
  call.set_http_method("POST");
  call.set_path("/bot" + c.bot->token + "/" + c.call.method);
  for (const auto& [k, v] : c.call.params) (*call.mutable_params())[k] = v;
  ServiceNode* api = botapi_;
  const double cpu = world_->DrawCost(botapi_->role().name + ".client_frame");
  Transmit(*api, tracing() ? BodyName(frame) : "", frame.ByteSizeLong(), cpu,
           [api, conn = c.id, frame = std::move(frame)] { api->ClientFrame(conn, frame); });
}

void BotPopulation::Next(Conn& c) {
  Bot& bot = *c.bot;
  c.busy = false;
  if (bot.broadcast) {
    const uint64_t recipients = world_->scenario.workload.bots.broadcast_recipients;
    if (bot.next_recipient == 0 || bot.next_recipient > recipients) return;
    c.call = {"sendMessage", {{"chat_id", std::to_string(bot.next_recipient++)}, {"text", "news for you"}}};
  } else {
    if (bot.replies.empty()) return;
    c.call = std::move(bot.replies.front());
    bot.replies.pop_front();
  }
  Issue(c);
}

void BotPopulation::Poll(Conn& c) {
  c.call = {"getUpdates", {{"offset", std::to_string(c.bot->offset)}, {"timeout", kPollTimeout}}};
  Issue(c);
}

void BotPopulation::OnServiceFrame(ConnId conn, const api::ServerFrame& frame) {
  auto it = by_id_.find(conn);
  if (it == by_id_.end() || !frame.has_bot_answer()) return;
  Conn& c = *it->second;
  if (!c.busy || frame.request_id() != c.request_id) return;
  c.request_id = 0;
  Answered(c, frame.bot_answer());
}

// As the Bot API asks of bots: a 429 waits out its retry_after, a 5xx
// ("retry") is sent again after a growing pause; a 4xx is the call's end.
void BotPopulation::Answered(Conn& c, const api::BotAnswer& a) {
  const uint32_t status = a.status();
  traffic_->Answered(c.call.method, status);
  if (c.bot->broadcast) traffic_->Broadcast(status, std::stoull(c.call.params.at("chat_id")));
  if (status == 429) {
    const double wait = std::max<double>(1, a.retry_after_s());
    traffic_->RetryAfter(wait);
    return Issue(c, wait);
  }
  if (status >= 500) {
    traffic_->Retried5xx(c.bot->broadcast);
    c.backoff = std::min(kMaxBackoff, c.backoff == 0 ? 1 : 2 * c.backoff);
    return Issue(c, c.backoff);
  }
  c.backoff = 0;
  if (c.polls) {
    if (status == 200) Polled(c, a.body());
    return status == 200 ? Poll(c) : Post(world_->Now() + kReconnectAfter, 0, [this, &c] { Poll(c); });
  }
  if (status == 200 && !c.bot->broadcast) traffic_->Replied(c.call.params.at("text"));
  Next(c);
}

// Each message from a user goes back to its chat, the text unchanged.
void BotPopulation::Polled(Conn& c, const std::string& body) {
  Bot& bot = *c.bot;
  const auto json = nlohmann::json::parse(body, nullptr, false);
  if (!json.is_object() || !json.contains("result")) return;
  for (const auto& update : json["result"]) {
    bot.offset = std::max<int64_t>(bot.offset, update.value("update_id", int64_t{0}) + 1);
    if (!update.contains("message")) continue;
    const auto& m = update["message"];
    const int64_t chat = m["chat"].value("id", int64_t{0});
    if (chat <= 0 || !m.contains("text")) continue;
    bot.replies.push_back({"sendMessage", {{"chat_id", std::to_string(chat)}, {"text", m["text"].get<std::string>()}}});
  }
  for (Conn* s : bot.senders) {
    if (!s->busy) Next(*s);
  }
}

// The instance closed the connection (it crashed, or refused it): open
// another after a while and send what was in flight again.
void BotPopulation::OnClosed(ConnId conn) {
  auto it = by_id_.find(conn);
  if (it == by_id_.end()) return;
  Conn& c = *it->second;
  traffic_->Reconnected();
  Post(world_->Now() + kReconnectAfter, 0, [this, &c, conn] {
    if (c.id != conn) return;
    Open(c);
    if (c.busy) Issue(c);
  });
}

}  // namespace msgbed::sim
