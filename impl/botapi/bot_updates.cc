// BotApiService: the bot's update queue. Updates enter it from the bot's
// box (a pull after a push, or at the first getUpdates), each with the next
// update_id, in one batch with the box pts read up to; getUpdates reads and
// confirms them; a webhook's setting lives in the same state record.
#include <algorithm>
#include <cctype>
#include <charconv>

#include "botapi/bot_api_service.h"
#include "botapi/bot_keys.h"
#include "messages/placement.h"
#include "proto/messages.pb.h"

namespace msgbed {

namespace {

using botjson::Json;

constexpr uint32_t kPullLimit = 100;
constexpr const char* kKinds[] = {"message", "edited_message", "callback_query", "my_chat_member"};

bool SameIgnoringCase(const std::string& a, const std::string& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

// Privacy mode: in a group, a bot sees commands, messages that mention it
// (a whole word, as Telegram's mention entity) and service messages
// (Telegram also gives replies to the bot's own messages; a box entry
// names the message replied to only by id, so msgbed does not:
// docs/bots.md).
bool Visible(const api::Message& m, const auth::BotAccount& bot) {
  if (m.chat_id() == 0 || bot.reads_all_group_messages() || m.action() != api::ACTION_NONE) return true;
  for (const Json& e : botjson::EntitiesOf(m.text())) {
    if (e["type"] == "bot_command") return true;
    const std::string word = m.text().substr(e["offset"].get<size_t>(), e["length"].get<size_t>());
    if (e["type"] == "mention" && SameIgnoringCase(word, "@" + bot.username())) return true;
  }
  return false;
}

Json MemberChange(const api::Message& m, const auth::BotAccount& bot, const botjson::Profiles& profiles,
                  const botjson::Titles& titles) {
  const bool joined = m.action() != api::ACTION_DELETE_USER;
  const Json me = botjson::UserJson(bot.id(), profiles(bot.id()));
  const char* gone = m.from_user() == bot.id() ? "left" : "kicked";
  return {{"chat", botjson::GroupChatJson(m.chat_id(), titles(m.chat_id()))},
          {"from", botjson::UserJson(m.from_user(), profiles(m.from_user()))},
          {"date", m.date_us() / 1'000'000},
          {"old_chat_member", {{"user", me}, {"status", joined ? "left" : "member"}}},
          {"new_chat_member", {{"user", me}, {"status", joined ? "member" : gone}}}};
}

// What a box update is to the bot: (type, object) pairs, maybe none.
std::vector<std::pair<std::string, Json>> BotUpdatesOf(const api::Update& u, const auth::BotAccount& bot,
                                                       const botjson::Profiles& profiles,
                                                       const botjson::Titles& titles) {
  std::vector<std::pair<std::string, Json>> out;
  const api::Message& m = u.message();
  const bool mine = m.from_user() == bot.id();
  if (u.channel_box() != 0 || m.channel_id() != 0 || !Visible(m, bot)) return out;
  if (u.kind() == api::Update::NEW_MESSAGE) {
    const bool about_me =
        (m.action() == api::ACTION_ADD_USER || m.action() == api::ACTION_DELETE_USER) && m.action_user() == bot.id();
    if (about_me || (m.action() == api::ACTION_CHAT_CREATE && !mine)) {
      out.emplace_back("my_chat_member", MemberChange(m, bot, profiles, titles));
    }
    if (!mine) out.emplace_back("message", botjson::MessageJson(m, profiles, titles));
  } else if (u.kind() == api::Update::EDIT_MESSAGE && !mine) {
    out.emplace_back("edited_message", botjson::MessageJson(m, profiles, titles));
  }
  return out;
}

}  // namespace

BotApiService::Bot* BotApiService::LoadBot(uint64_t bot_id) {
  Bot& bot = bots_[bot_id];
  if (bot.loaded) return &bot;
  Status s;
  const auto bytes = env_->Kv().Get(BotStateKey(bot_id), &s);
  if (!s.ok() || (bytes && !bot.state.ParseFromString(*bytes))) return nullptr;
  if (!bytes) bot.state.set_next_update_id(1), bot.state.set_first_update_id(1);
  bot.loaded = true;
  return &bot;
}

bool BotApiService::SaveState(Bot& bot, WriteBatch& batch) {
  batch.Put(BotStateKey(bot.account.id()), bot.state.SerializeAsString());
  if (env_->Kv().Write(batch).ok()) return true;
  env_->Stats().Add("botapi.store_failures");
  bot.loaded = false;  // read again: what is stored is what counts
  return false;
}

// --- Filling the queue from the bot's box.

void BotApiService::Pull(uint64_t bot_id) {
  Bot* bot = LoadBot(bot_id);
  if (bot == nullptr) return env_->Stats().Add("botapi.store_failures");
  if (bot->pulling) return void(bot->pull_again = true);
  bot->pulling = true;
  bot->pull_again = false;
  auto diff = NewBody<messages::GetDifference>();
  *diff->mutable_client() = RefOf(bot_id);
  diff->mutable_request()->set_pts(bot->state.box_pts());
  diff->mutable_request()->set_limit(kPullLimit);
  env_->Call(BoxOwner(shape_, bot_id), std::move(diff), limits_.request_timeout,
             [this, bot_id](const CallResult& r) { Pulled(bot_id, r); });
}

void BotApiService::Pulled(uint64_t bot_id, const CallResult& r) {
  const auto* answer = r.As<rpc::ClientAnswer>();
  if (answer == nullptr || !answer->frame().has_difference()) {
    env_->Stats().Add("botapi.pull_failures");
    Bot& bot = bots_[bot_id];
    bot.pulling = false;
    // Again after a pause: the next push or getUpdates would do it too.
    env_->StartTimer(limits_.request_timeout / 10, [this, bot_id] { Pull(bot_id); });
    return;
  }
  const api::Difference diff = answer->frame().difference();
  std::vector<uint64_t> users, groups;
  for (const api::Update& u : diff.updates()) {
    const api::Message& m = u.message();
    for (uint64_t id : {m.from_user(), m.peer_user(), m.action_user(), m.fwd_from_user()}) users.push_back(id);
    // A group's creation names its title: no need to ask.
    if (m.action() == api::ACTION_CHAT_CREATE) titles_[m.chat_id()] = m.text();
    groups.push_back(m.chat_id());
  }
  users.push_back(bot_id);
  WithProfiles(std::move(users), [this, bot_id, diff, groups = std::move(groups)]() mutable {
    WithTitles(bot_id, std::move(groups), [this, bot_id, diff] { Queue(bot_id, diff); });
  });
}

void BotApiService::Queue(uint64_t bot_id, const api::Difference& diff) {
  Bot& bot = bots_[bot_id];
  bot.pulling = false;
  if (!bot.loaded) return Pull(bot_id);  // a store failure meanwhile: read again
  botapi::BotState before = bot.state;
  WriteBatch batch;
  const botjson::Profiles profiles = ProfileLookup();
  const auto& allowed = bot.state.allowed_updates();
  for (const api::Update& u : diff.updates()) {
    if (u.pts() <= bot.state.box_pts()) continue;  // queued already
    const api::Message& m = u.message();
    if (u.kind() == api::Update::NEW_MESSAGE && m.chat_id() == 0 && m.from_user() != bot_id)
      bot.known.insert(m.from_user());
    for (auto& [type, object] : BotUpdatesOf(u, bot.account, profiles, TitleLookup())) {
      // allowed_updates drops what comes after it, not what was queued before.
      if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), type) == allowed.end()) continue;
      botapi::QueuedUpdate q;
      q.set_update_id(bot.state.next_update_id());
      q.set_date_us(env_->Date());
      q.set_type(type);
      q.set_json(botjson::Dump(object));
      batch.Put(BotQueueKey(bot_id, q.update_id()), q.SerializeAsString());
      bot.state.set_next_update_id(q.update_id() + 1);
      env_->Stats().Add("botapi.updates_queued");
    }
    bot.state.set_box_pts(u.pts());
  }
  if (diff.too_long()) env_->Stats().Add("botapi.box_too_long");
  if (!diff.is_slice() || diff.too_long()) bot.state.set_box_pts(std::max(bot.state.box_pts(), diff.state_pts()));
  const bool more = diff.is_slice() && !diff.too_long() && diff.updates_size() > 0;
  if (bot.state.box_pts() != before.box_pts() && !SaveState(bot, batch)) return Pull(bot_id);
  if (more || bot.pull_again) Pull(bot_id);
  AnswerPoll(bot, false);
  DeliverWebhook(bot_id);
}

// --- getUpdates.

bool BotApiService::Confirm(Bot& bot, uint64_t offset) {
  const uint64_t id = bot.account.id();
  offset = std::min(offset, bot.state.next_update_id());
  if (offset <= bot.state.first_update_id()) return true;
  WriteBatch batch;
  for (std::string from = BotQueueKey(id, 0);;) {
    KvStore::Entries confirmed;
    if (!env_->Kv().Scan(from, BotQueueKey(id, offset), 10000, &confirmed).ok()) return false;
    for (auto& [key, value] : confirmed) batch.Delete(key);
    if (confirmed.size() < 10000) break;
    from = confirmed.back().first + '\0';
  }
  bot.state.set_first_update_id(offset);
  return SaveState(bot, batch);
}

Json BotApiService::ReadQueue(Bot& bot, uint64_t offset, uint32_t limit) {
  const uint64_t id = bot.account.id();
  const Micros oldest = env_->Date() - limits_.retention;
  Json out = Json::array();
  KvStore::Entries entries;
  const uint64_t from = std::max(offset, bot.state.first_update_id());
  if (!env_->Kv().Scan(BotQueueKey(id, from), BotQueueKey(id + 1, 0), 1000, &entries).ok()) return out;
  WriteBatch dropped;
  for (auto& [key, value] : entries) {
    botapi::QueuedUpdate q;
    if (!q.ParseFromString(value)) continue;
    if (q.date_us() < oldest) {
      dropped.Delete(key);  // past the Bot API's retention
      continue;
    }
    Json object = Json::parse(q.json(), nullptr, false);
    out.push_back({{"update_id", q.update_id()}, {q.type(), std::move(object)}});
    if (out.size() >= limit) break;
  }
  if (!dropped.ops().empty() && !env_->Kv().Write(dropped).ok()) env_->Stats().Add("botapi.store_failures");
  return out;
}

void BotApiService::GetUpdates(RequestPtr req, Bot& bot) {
  if (!bot.state.webhook_url().empty()) {
    return Fail(*req, 409,
                "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to "
                "delete the webhook first");
  }
  int64_t offset = 0, limit = 100, timeout = 0;
  if ((req->Has("offset") && !botjson::ParseInt(req->Param("offset"), &offset)) ||
      (req->Has("limit") && !botjson::ParseInt(req->Param("limit"), &limit)) ||
      (req->Has("timeout") && !botjson::ParseInt(req->Param("timeout"), &timeout))) {
    return Fail(*req, 400, "Bad Request: offset, limit and timeout must be integers");
  }
  limit = std::clamp<int64_t>(limit, 1, 100);
  timeout = std::clamp<int64_t>(timeout, 0, limits_.max_long_poll / kSecond);
  if (req->Has("allowed_updates")) {
    const Json kinds = Json::parse(req->Param("allowed_updates"), nullptr, false);
    if (!kinds.is_array()) return Fail(*req, 400, "Bad Request: allowed_updates must be a JSON array");
    bot.state.clear_allowed_updates();
    for (const Json& k : kinds) {
      if (k.is_string() && std::find(std::begin(kKinds), std::end(kKinds), k.get<std::string>()) != std::end(kKinds))
        bot.state.add_allowed_updates(k.get<std::string>());
    }
  }
  // A negative offset asks for the last -offset updates: the ones before are confirmed.
  const uint64_t next = bot.state.next_update_id();
  const uint64_t from =
      offset >= 0 ? static_cast<uint64_t>(offset) : next - std::min<uint64_t>(next - 1, static_cast<uint64_t>(-offset));
  WriteBatch none;
  if (!Confirm(bot, from) || (req->Has("allowed_updates") && !SaveState(bot, none))) {
    return Fail(*req, 500, "Internal Server Error: retry");
  }
  GoOnline(bot);
  if (bot.poll) {
    Fail(*bot.poll, 409,
         "Conflict: terminated by other getUpdates request; make sure that only one bot instance "
         "is running");
    if (bot.poll_timer != 0) env_->CancelTimer(std::exchange(bot.poll_timer, 0));
  }
  req->poll_limit = static_cast<uint32_t>(limit);
  bot.poll = req;
  if (timeout == 0) return AnswerPoll(bot, true);
  const uint64_t id = bot.account.id();
  bot.poll_timer = env_->StartTimer(timeout * kSecond, [this, id] { AnswerPoll(bots_[id], true); });
  AnswerPoll(bot, false);
}

void BotApiService::AnswerPoll(Bot& bot, bool always) {
  if (!bot.poll) return;
  Json updates = ReadQueue(bot, bot.state.first_update_id(), bot.poll->poll_limit);
  if (updates.empty() && !always) return;
  if (bot.poll_timer != 0) env_->CancelTimer(std::exchange(bot.poll_timer, 0));
  RequestPtr req = std::exchange(bot.poll, nullptr);
  env_->Stats().Add("botapi.updates_delivered", static_cast<int64_t>(updates.size()));
  Ok(*req, updates);
}

// --- Webhooks: the setting (delivery is bot_webhook.cc).

namespace {

// What is wrong with a webhook URL and secret, "" if nothing: an http://
// URL (https needs a TLS relay in front) with a host and, unless any port
// is allowed, one of Telegram's ports; a secret of 1-256 [A-Za-z0-9_-]
// (it becomes a header).
std::string CheckWebhook(const std::string& url, const std::string& secret, bool any_port) {
  if (url.rfind("https://", 0) == 0) return "bad webhook: https is not supported; put a TLS relay in front of the bot";
  if (url.rfind("http://", 0) != 0) return "bad webhook: an HTTP URL must be provided for webhook";
  const std::string authority =
      url.substr(7, url.find('/', 7) == std::string::npos ? std::string::npos : url.find('/', 7) - 7);
  const size_t colon = authority.rfind(':');
  const std::string host = authority.substr(0, colon),
                    port = colon == std::string::npos ? "80" : authority.substr(colon + 1);
  const bool numeric = !port.empty() && port.size() <= 5 && port.find_first_not_of("0123456789") == std::string::npos;
  if (host.empty() || !numeric || host.find_first_of("[]@ ") != std::string::npos) return "bad webhook: invalid URL";
  if (!any_port && port != "80" && port != "88" && port != "443" && port != "8443") {
    return "bad webhook: webhook can be set up only on ports 80, 88, 443 or 8443";
  }
  if (secret.size() > 256 ||
      secret.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") !=
          std::string::npos) {
    return "secret token contains unallowed characters";
  }
  return "";
}

}  // namespace

void BotApiService::SetWebhook(RequestPtr req, Bot& bot, bool set) {
  const std::string url = set ? req->Param("url") : "";
  const std::string secret = set ? req->Param("secret_token") : "";
  if (!url.empty()) {
    if (const std::string wrong = CheckWebhook(url, secret, limits_.webhook_any_port); !wrong.empty()) {
      return Fail(*req, 400, "Bad Request: " + wrong);
    }
  }
  bot.state.set_webhook_url(url);
  bot.state.set_webhook_secret(secret);
  if (botjson::ParseBool(req->Param("drop_pending_updates")) && !Confirm(bot, bot.state.next_update_id())) {
    return Fail(*req, 500, "Internal Server Error: retry");
  }
  WriteBatch batch;
  if (!SaveState(bot, batch)) return Fail(*req, 500, "Internal Server Error: retry");
  if (!url.empty()) {
    // A getUpdates waiting now would take what the webhook is about to get.
    if (bot.poll) {
      Fail(*std::exchange(bot.poll, nullptr), 409, "Conflict: terminated by setWebhook request");
      if (bot.poll_timer != 0) env_->CancelTimer(std::exchange(bot.poll_timer, 0));
    }
    GoOnline(bot);
    DeliverWebhook(bot.account.id());
  }
  Ok(*req, true);
}

void BotApiService::GetWebhookInfo(RequestPtr req, Bot& bot) {
  KvStore::Entries pending;
  const uint64_t id = bot.account.id();
  env_->Kv().Scan(BotQueueKey(id, bot.state.first_update_id()), BotQueueKey(id + 1, 0), 100000, &pending);
  Json info = {
      {"url", bot.state.webhook_url()}, {"has_custom_certificate", false}, {"pending_update_count", pending.size()}};
  if (bot.state.webhook_last_error_date() != 0) {
    info["last_error_date"] = bot.state.webhook_last_error_date();
    info["last_error_message"] = bot.state.webhook_last_error();
  }
  Ok(*req, info);
}

}  // namespace msgbed
