#include "bot_traffic.h"

#include <cmath>
#include <cstdio>
#include <string>

#include "population.h"
#include "summary.h"
#include "world.h"

namespace msgbed::sim {

using nlohmann::ordered_json;

BotTraffic::BotTraffic(World* world) : world_(world), rng_(DeriveSeed(world->scenario.seed, "bots")) {}

uint64_t BotTraffic::EchoBot(uint32_t k) const { return world_->scenario.workload.users + 1 + k; }

uint64_t BotTraffic::BroadcastBot() const {
  return world_->scenario.workload.users + world_->scenario.workload.bots.echo + 1;
}

double BotTraffic::BroadcastAt() const {
  const double at = world_->scenario.workload.bots.broadcast_at;
  return at >= 0 ? at : world_->scenario.workload.connect_ramp;
}

uint64_t BotTraffic::BroadcastUnsent() const {
  const Counts& c = counts_;
  const uint64_t done = c.broadcast_sent + c.broadcast_forbidden + c.broadcast_failed;
  return world_->scenario.workload.bots.broadcast_recipients -
         std::min(done, world_->scenario.workload.bots.broadcast_recipients);
}

void BotTraffic::Begin(Node* clock) {
  clock_ = clock;
  const BotLoad& b = world_->scenario.workload.bots;
  if (b.echo > 0 && b.echo_messages_per_second > 0) ScheduleEcho(world_->scenario.workload.connect_ramp);
}

// Poisson arrivals over the loaded period.
void BotTraffic::ScheduleEcho(double after) {
  const double at = after + rng_.Exponential(world_->scenario.workload.bots.echo_messages_per_second);
  if (at >= world_->scenario.duration) return;
  clock_->Post(at, 0, [this] { Echo(); });
}

// A random connected, up-to-date device writes to a random echo bot; its
// random id is in the text, which the bot sends back.
void BotTraffic::Echo() {
  if (const auto device = world_->PickReadyDevice(rng_)) {
    const uint64_t random_id = rng_.Next() | 1;
    sending_.insert(random_id);
    const uint64_t bot = EchoBot(static_cast<uint32_t>(rng_.Below(world_->scenario.workload.bots.echo)));
    waiting_[random_id] = {world_->Now(), *device};
    unreplied_.insert(random_id);
    ++counts_.to_echo_bots;
    auto [pop, index] = world_->Locate(*device);
    pop->SendToBot(index, bot, "hi " + std::to_string(random_id), random_id);
  } else {
    ++counts_.nobody_ready;
  }
  ScheduleEcho(world_->Now());
}

void BotTraffic::FirstSynced(uint64_t user, uint64_t device) {
  const BotLoad& b = world_->scenario.workload.bots;
  if (user > b.broadcast_recipients || device != world_->users.DeviceIndex(user, 1)) return;
  ++counts_.starts;
  const uint64_t random_id = rng_.Next() | 1;
  sending_.insert(random_id);
  auto [pop, index] = world_->Locate(device);
  pop->SendToBot(index, BroadcastBot(), "/start", random_id);
}

void BotTraffic::Delivered(const api::Message& m, uint64_t user, uint64_t device) {
  const double now = world_->Now();
  ++counts_.deliveries;
  if (world_->scenario.workload.bots.broadcast_recipients > 0 && m.from_user() == BroadcastBot()) {
    if (device != world_->users.DeviceIndex(user, 1)) return;
    if (reached_.empty()) reached_.resize(world_->scenario.workload.bots.broadcast_recipients + 1);
    if (user >= reached_.size() || reached_[user]) {
      ++counts_.broadcast_duplicates;
      return;
    }
    reached_[user] = true;
    broadcast_deliveries_.push_back(now - BroadcastAt());
    return;
  }
  if (!world_->IsBot(m.from_user()) || m.text().rfind("hi ", 0) != 0) return;
  auto it = waiting_.find(std::stoull(m.text().substr(3)));
  if (it == waiting_.end() || it->second.second != device) return;  // another device of the user
  round_trips_.push_back(now - it->second.first);
  waiting_.erase(it);
}

void BotTraffic::Acked(uint64_t random_id) {
  sending_.erase(random_id);
  if (unreplied_.contains(random_id) || waiting_.contains(random_id)) {
    ++counts_.acked;
    return;
  }
  ++counts_.starts_acked;
  if (world_->Now() < BroadcastAt()) ++counts_.starts_before;
}

void BotTraffic::Replied(const std::string& text) {
  ++counts_.echo_replies;
  if (text.rfind("hi ", 0) == 0) unreplied_.erase(std::stoull(text.substr(3)));
}

void BotTraffic::SendFailed(uint64_t random_id) {
  ++counts_.send_failed;
  sending_.erase(random_id);
  waiting_.erase(random_id);
  unreplied_.erase(random_id);
}

void BotTraffic::Answered(const std::string& method, uint32_t status) { ++answers_[method][status]; }

void BotTraffic::Broadcast(uint32_t status, uint64_t recipient) {
  if (status == 200) {
    if (sent_to_.empty()) sent_to_.resize(world_->scenario.workload.bots.broadcast_recipients + 1);
    if (recipient < sent_to_.size() && sent_to_[recipient]) {
      ++counts_.broadcast_again;
      return;
    }
    if (recipient < sent_to_.size()) sent_to_[recipient] = true;
    ++counts_.broadcast_sent;
    if (counts_.broadcast_first < 0) counts_.broadcast_first = world_->Now();
    counts_.broadcast_last = world_->Now();
  } else if (status == 429) {
    ++counts_.broadcast_429;
  } else if (status == 403) {
    ++counts_.broadcast_forbidden;
  } else if (status >= 500) {
    ++counts_.broadcast_5xx;
  } else {
    ++counts_.broadcast_failed;
  }
}

ordered_json BotTraffic::Json() const {
  const BotLoad& b = world_->scenario.workload.bots;
  const Counts& c = counts_;
  ordered_json requests = ordered_json::object();
  for (const auto& [method, statuses] : answers_) {
    ordered_json& m = requests[method];
    for (const auto& [status, n] : statuses) m[std::to_string(status)] = n;
  }
  ordered_json out = {
      {"echo_bots", b.echo}, {"requests", requests}, {"reconnects", c.reconnects}, {"deliveries", c.deliveries}};
  if (b.echo > 0) {
    out["echo"] = {{"messages_to_bots", c.to_echo_bots},
                   {"nobody_ready", c.nobody_ready},
                   {"stored", c.acked},
                   {"send_failed", c.send_failed},
                   {"replies", c.echo_replies},
                   {"retried_5xx", c.echo_5xx},
                   {"unanswered", unreplied_.size()},
                   {"round_trip_ms", PercentilesJson(round_trips_, waiting_.size())}};
  }
  if (b.broadcast_recipients > 0) {
    const double span = c.broadcast_last - c.broadcast_first;
    // Sent, not yet on the recipient's first device (which may be away).
    const uint64_t undelivered = c.broadcast_sent - std::min<uint64_t>(c.broadcast_sent, broadcast_deliveries_.size());
    // From the first 200 to the last, the first 200 not counted.
    out["broadcast"] = {{"recipients", b.broadcast_recipients},
                        {"started_by", c.starts_acked},
                        {"started_before_it", c.starts_before},
                        {"sent", c.broadcast_sent},
                        {"refused_429", c.broadcast_429},
                        {"retry_after_waited_s", std::round(c.retry_after_s * 1e3) / 1e3},
                        {"forbidden_403", c.broadcast_forbidden},
                        {"retried_5xx", c.broadcast_5xx},
                        {"failed", c.broadcast_failed},
                        {"sent_again", c.broadcast_again},
                        {"duplicates", c.broadcast_duplicates},
                        {"sending_s", span > 0 ? std::round(span * 1e3) / 1e3 : 0.0},
                        {"sent_per_s", span > 0 ? std::round(double(c.broadcast_sent - 1) / span * 10) / 10 : 0.0},
                        {"delivery_ms", PercentilesJson(broadcast_deliveries_, undelivered)}};
  }
  return out;
}

void BotWarnings(const ordered_json& s, ordered_json* warnings) {
  const ordered_json& bots = s["bots"];
  const ordered_json& at_end = s["at_end"];
  const double limit = s["scenario"]["settings"]["botapi"]["messages_per_second"].get<double>();
  char facts[200];
  std::snprintf(facts, sizeof facts,
                "(botapi.messages_per_second %g; connections the server closed and the bots "
                "opened again: %llu)",
                limit, static_cast<unsigned long long>(bots["reconnects"].get<uint64_t>()));
  if (const uint64_t unsent = at_end.value("bot_broadcast_unsent", uint64_t{0}); unsent > 0) {
    warnings->push_back("workload.bots.broadcast: " + std::to_string(unsent) + " of " +
                        std::to_string(bots["broadcast"]["recipients"].get<uint64_t>()) +
                        " recipients had no answer yet when the run ended " + facts +
                        ": lengthen duration, lower the recipients, or look for a server down");
  }
  if (const uint64_t left = at_end.value("bot_messages_unanswered", uint64_t{0}); left > 0) {
    warnings->push_back("workload.bots.echo: " + std::to_string(left) +
                        " users' messages to echo bots were not answered by the end " + facts);
  }
}

namespace {

// Percentile q of a summary's latency p (milliseconds) in `unit` (1 or
// 1000): "-" without samples, ">run" among the unfinished.
std::string Figure(const ordered_json& p, const char* q, double unit) {
  if (p[q].is_null()) return p["count"].get<uint64_t>() + p.value("unfinished", uint64_t{0}) == 0 ? "-" : ">run";
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", p[q].get<double>() / unit);
  return text;
}

}  // namespace

void PrintBots(const ordered_json& bots, std::ostream& out) {
  if (bots.contains("echo")) {
    const ordered_json& e = bots["echo"];
    out << "  bots       echo: " << e["messages_to_bots"] << " messages to " << bots["echo_bots"] << " bots, "
        << e["replies"] << " replies, " << e["unanswered"] << " unanswered; round trip p50 "
        << Figure(e["round_trip_ms"], "p50", 1) << " ms, p99 " << Figure(e["round_trip_ms"], "p99", 1) << " ms\n";
  }
  if (bots.contains("broadcast")) {
    const ordered_json& b = bots["broadcast"];
    out << "  bots       broadcast: " << b["sent"] << " of " << b["recipients"] << " sent in " << b["sending_s"]
        << " s (" << b["sent_per_s"] << "/s), " << b["refused_429"] << " refused 429, " << b["retried_5xx"]
        << " retried 5xx, " << b["forbidden_403"] << " not started (403), " << b["failed"]
        << " failed; on the phone after p50 " << Figure(b["delivery_ms"], "p50", 1000) << " s, p99 "
        << Figure(b["delivery_ms"], "p99", 1000) << " s\n";
  }
}

}  // namespace msgbed::sim
