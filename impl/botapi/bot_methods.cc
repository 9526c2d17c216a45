// BotApiService: the methods that act in chats, each a request to the
// bot's box owner made as the bot's device.
#include <charconv>
#include <set>

#include "auth/placement.h"
#include "botapi/bot_api_service.h"
#include "core/utf8.h"
#include "messages/placement.h"
#include "proto/messages.pb.h"

namespace msgbed {

namespace {

using botjson::Json;

// reply_markup must be an InlineKeyboardMarkup: rows of buttons, each with
// a text and exactly one of callback_data (1-64 bytes) or url. Returns
// what is wrong, or "" when it is one.
std::string CheckInlineKeyboard(const Json& markup) {
  if (!markup.is_object() || !markup.contains("inline_keyboard") || !markup["inline_keyboard"].is_array()) {
    return "reply_markup must be an InlineKeyboardMarkup object (other keyboards are not supported)";
  }
  for (const Json& row : markup["inline_keyboard"]) {
    if (!row.is_array()) return "inline_keyboard must be an array of arrays of buttons";
    for (const Json& b : row) {
      if (!b.is_object() || !b.contains("text") || !b["text"].is_string()) return "a button needs a text";
      const bool data = b.contains("callback_data"), url = b.contains("url");
      if (data == url) return "a button needs exactly one of callback_data and url";
      if (url) {
        const std::string u = b["url"].is_string() ? b["url"].get<std::string>() : "";
        if (u.rfind("http://", 0) != 0 && u.rfind("https://", 0) != 0 && u.rfind("tg://", 0) != 0) {
          return "BUTTON_URL_INVALID: a button's url must be http://, https:// or tg://";
        }
      }
      if (data && (!b["callback_data"].is_string() || b["callback_data"].get<std::string>().empty() ||
                   b["callback_data"].get<std::string>().size() > 64)) {
        return "BUTTON_DATA_INVALID: callback_data must be 1-64 bytes";
      }
    }
  }
  return "";
}

}  // namespace

bool BotApiService::ChatParam(const Request& req, const std::string& key, uint64_t* user, uint64_t* group) {
  int64_t id = 0;
  if (!req.Has(key)) return Fail(req, 400, "Bad Request: " + key + " is empty"), false;
  if (!botjson::ParseInt(req.Param(key), &id) || id == 0) return Fail(req, 400, "Bad Request: chat not found"), false;
  *user = id > 0 ? static_cast<uint64_t>(id) : 0;
  *group = id < 0 ? static_cast<uint64_t>(-id) : 0;
  return true;
}

bool BotApiService::RateAllows(const Request& req, Bot& bot, uint64_t user, uint64_t group) {
  const Micros now = env_->Now();
  const bool in_group = group != 0;
  const double rate = in_group ? limits_.group_messages_per_minute / 60 : limits_.chat_messages_per_second;
  const double burst = in_group ? limits_.group_messages_per_minute : limits_.chat_burst;
  if (bot.all.refilled_at == 0) bot.all.Fill(limits_.messages_per_second, now);
  auto [chat, fresh] = bot.chats.try_emplace(in_group ? -static_cast<int64_t>(group) : static_cast<int64_t>(user));
  if (fresh) chat->second.Fill(burst, now);
  uint32_t wait = 0;
  if (bot.all.Take(limits_.messages_per_second, limits_.messages_per_second, now, &wait) &&
      chat->second.Take(rate, burst, now, &wait)) {
    return true;
  }
  env_->Stats().Add("botapi.rate_limited");
  Fail(req, 429, "Too Many Requests: retry after " + std::to_string(wait), wait);
  return false;
}

void BotApiService::CallBox(RequestPtr req, const Address& to, Body body,
                            std::function<void(const api::ServerFrame&)> done) {
  env_->Call(to, std::move(body), limits_.request_timeout, [this, req, done = std::move(done)](const CallResult& r) {
    const auto* answer = r.As<rpc::ClientAnswer>();
    if (answer == nullptr || answer->frame().has_error()) return FailCall(*req, r);
    done(answer->frame());
  });
}

void BotApiService::GetMe(RequestPtr req, Bot& bot) {
  Json me = {{"id", bot.account.id()},
             {"is_bot", true},
             {"first_name", bot.account.first_name()},
             {"username", bot.account.username()},
             {"can_join_groups", true},
             {"can_read_all_group_messages", bot.account.reads_all_group_messages()},
             {"supports_inline_queries", false}};
  Ok(*req, me);
}

void BotApiService::SendMessage(RequestPtr req, Bot& bot) {
  uint64_t user = 0, group = 0;
  if (!ChatParam(*req, "chat_id", &user, &group)) return;
  // Telegram trims a text: one of only blanks is empty.
  if (req->Param("text").find_first_not_of(" \t\r\n") == std::string::npos) {
    return Fail(*req, 400, "Bad Request: message text is empty");
  }
  auto send = NewBody<messages::SendMessage>();
  *send->mutable_client() = RefOf(bot.account.id());
  api::SendMessage* s = send->mutable_send();
  s->set_peer_user(user);
  s->set_chat_id(group);
  s->set_text(req->Param("text"));
  s->set_random_id(env_->Random().Next() | 1);
  int64_t reply_to = 0;
  if (req->Has("reply_to_message_id") && !botjson::ParseInt(req->Param("reply_to_message_id"), &reply_to)) {
    return Fail(*req, 400, "Bad Request: reply_to_message_id is not a number");
  }
  if (req->Has("reply_parameters")) {
    const Json p = Json::parse(req->Param("reply_parameters"), nullptr, false);
    if (!p.is_object() || !p.contains("message_id") || !p["message_id"].is_number_integer()) {
      return Fail(*req, 400, "Bad Request: reply_parameters must be an object with a message_id");
    }
    reply_to = p["message_id"].get<int64_t>();
  }
  s->set_reply_to_id(reply_to > 0 ? static_cast<uint64_t>(reply_to) : 0);
  Json markup;
  if (req->Has("reply_markup")) {
    markup = Json::parse(req->Param("reply_markup"), nullptr, false);
    if (const std::string wrong = CheckInlineKeyboard(markup); !wrong.empty()) {
      return Fail(*req, 400, "Bad Request: " + wrong);
    }
    s->set_reply_markup(botjson::Dump(markup));
  }
  if (!RateAllows(*req, bot, user, group)) return;
  const uint64_t id = bot.account.id();
  api::Message sent;
  sent.set_from_user(id);
  sent.set_peer_user(user);
  sent.set_chat_id(group);
  sent.set_text(s->text());
  sent.set_reply_to_id(s->reply_to_id());
  sent.set_reply_markup(s->reply_markup());
  IfMayWrite(req, bot, user, [this, req, id, sent, send = std::move(send)]() mutable {
    CallBox(req, BoxOwner(shape_, id), std::move(send), [this, req, sent, id](const api::ServerFrame& f) mutable {
      sent.set_id(f.sent_message().message_id());
      sent.set_date_us(f.sent_message().date_us());
      WithProfiles({id, sent.peer_user()}, [this, req, sent, id] {
        WithTitles(id, {sent.chat_id()},
                   [this, req, sent] { Ok(*req, botjson::MessageJson(sent, ProfileLookup(), TitleLookup())); });
      });
    });
  });
}

void BotApiService::EditMessageText(RequestPtr req, Bot& bot) {
  uint64_t user = 0, group = 0;
  int64_t message_id = 0;
  if (!ChatParam(*req, "chat_id", &user, &group)) return;
  if (!botjson::ParseInt(req->Param("message_id"), &message_id) || message_id <= 0) {
    return Fail(*req, 400, "Bad Request: message_id is not a message's id");
  }
  auto edit = NewBody<messages::EditMessage>();
  *edit->mutable_client() = RefOf(bot.account.id());
  edit->mutable_request()->set_id(static_cast<uint64_t>(message_id));
  edit->mutable_request()->set_text(req->Param("text"));
  if (req->Has("reply_markup")) {
    const Json markup = Json::parse(req->Param("reply_markup"), nullptr, false);
    if (const std::string wrong = CheckInlineKeyboard(markup); !wrong.empty()) {
      return Fail(*req, 400, "Bad Request: " + wrong);
    }
    edit->mutable_request()->set_reply_markup(botjson::Dump(markup));
  }
  const uint64_t id = bot.account.id();
  // The message must be in the chat named: ids are the bot's box's, not the chat's.
  FetchMessage(
      req, id, user, group, static_cast<uint64_t>(message_id), "message to edit not found",
      [this, req, id, edit](const api::Message& original) mutable {
        api::Message edited = original;
        edited.set_text(edit->request().text());
        if (!edit->request().reply_markup().empty()) edited.set_reply_markup(edit->request().reply_markup());
        CallBox(req, BoxOwner(shape_, id), std::move(edit), [this, req, edited](const api::ServerFrame&) mutable {
          edited.set_edit_date_us(env_->Date());
          WithProfiles({edited.from_user(), edited.peer_user()},
                       [this, req, edited] { Ok(*req, botjson::MessageJson(edited, ProfileLookup(), TitleLookup())); });
        });
      });
}

void BotApiService::DeleteMessage(RequestPtr req, Bot& bot) {
  uint64_t user = 0, group = 0;
  int64_t message_id = 0;
  if (!ChatParam(*req, "chat_id", &user, &group)) return;
  if (!botjson::ParseInt(req->Param("message_id"), &message_id) || message_id <= 0) {
    return Fail(*req, 400, "Bad Request: message_id is not a message's id");
  }
  // The box deletes what it has and says nothing of the rest; the Bot API
  // says when there was nothing to delete.
  const uint64_t id = bot.account.id(), message = static_cast<uint64_t>(message_id);
  FetchMessage(
      req, id, user, group, message, "message to delete not found", [this, req, id, message](const api::Message&) {
        auto del = NewBody<messages::DeleteMessages>();
        *del->mutable_client() = RefOf(id);
        del->mutable_request()->add_ids(message);
        del->mutable_request()->set_revoke(true);
        CallBox(req, BoxOwner(shape_, id), std::move(del), [this, req](const api::ServerFrame&) { Ok(*req, true); });
      });
}

void BotApiService::LookUp(uint64_t bot, uint64_t user, uint64_t group, uint64_t message,
                           std::function<void(const api::Message*, bool)> done) {
  auto page = NewBody<messages::GetHistory>();
  *page->mutable_client() = RefOf(bot);
  page->mutable_request()->set_peer_user(user);
  page->mutable_request()->set_chat_id(group);
  page->mutable_request()->set_offset_id(message == 0 ? 0 : message + 1);  // 0: the newest
  page->mutable_request()->set_limit(1);
  env_->Call(BoxOwner(shape_, bot), std::move(page), limits_.request_timeout, [message, done](const CallResult& r) {
    const auto* answer = r.As<rpc::ClientAnswer>();
    if (answer == nullptr) return done(nullptr, true);
    const api::History& h = answer->frame().history();
    const bool found = h.messages_size() > 0 && (message == 0 || h.messages(0).id() == message);
    done(found ? &h.messages(0) : nullptr, false);
  });
}

void BotApiService::FetchMessage(RequestPtr req, uint64_t bot, uint64_t user, uint64_t group, uint64_t message,
                                 const std::string& missing, std::function<void(const api::Message&)> done) {
  LookUp(bot, user, group, message, [this, req, missing, done](const api::Message* m, bool failed) {
    if (failed) return Fail(*req, 502, "Bad Gateway: the service did not answer; retry");
    if (m == nullptr) return Fail(*req, 400, "Bad Request: " + missing);
    done(*m);
  });
}

void BotApiService::IfMayWrite(RequestPtr req, Bot& bot, uint64_t user, std::function<void()> then, bool reading) {
  if (user == 0 || bot.known.contains(user)) return then();
  const uint64_t id = bot.account.id();
  // Any message in the chat means the user started it: a bot cannot write first.
  LookUp(id, user, 0, 0, [this, req, id, user, then, reading](const api::Message* m, bool failed) {
    if (failed) return Fail(*req, 502, "Bad Gateway: the service did not answer; retry");
    if (m != nullptr) {
      if (auto it = bots_.find(id); it != bots_.end()) it->second.known.insert(user);
      return then();
    }
    FetchProfiles({user}, [this, req, user, reading](bool unanswered) {
      if (unanswered) return Fail(*req, 502, "Bad Gateway: the service did not answer; retry");
      const auth::Profile* p = ProfileOf(user);
      if (reading || p == nullptr || p->first_name().empty()) return Fail(*req, 400, "Bad Request: chat not found");
      Fail(*req, 403, "Forbidden: bot can't initiate conversation with a user");
    });
  });
}

// forwardMessage, or copyMessage (the text and file again, as the bot's own).
void BotApiService::ForwardMessage(RequestPtr req, Bot& bot, bool copy) {
  uint64_t user = 0, group = 0, from_user = 0, from_group = 0;
  int64_t message_id = 0;
  if (!ChatParam(*req, "chat_id", &user, &group) || !ChatParam(*req, "from_chat_id", &from_user, &from_group)) return;
  if (!botjson::ParseInt(req->Param("message_id"), &message_id) || message_id <= 0) {
    return Fail(*req, 400, "Bad Request: message_id is not a message's id");
  }
  if (!RateAllows(*req, bot, user, group)) return;
  const uint64_t id = bot.account.id(), message = static_cast<uint64_t>(message_id);
  const Address box = BoxOwner(shape_, id);
  const std::string missing = copy ? "message to copy not found" : "message to forward not found";
  IfMayWrite(req, bot, user, [this, req, id, box, user, group, from_user, from_group, message, missing, copy] {
    FetchMessage(req, id, from_user, from_group, message, missing, [=, this](const api::Message& original) {
      if (!copy) return Forward(req, id, original, user, group);
      auto send = NewBody<messages::SendMessage>();
      *send->mutable_client() = RefOf(id);
      send->mutable_send()->set_peer_user(user);
      send->mutable_send()->set_chat_id(group);
      send->mutable_send()->set_text(req->Has("caption") ? req->Param("caption") : original.text());
      if (original.has_document()) *send->mutable_send()->mutable_document() = original.document();
      send->mutable_send()->set_random_id(env_->Random().Next() | 1);
      CallBox(req, box, std::move(send), [this, req](const api::ServerFrame& sent) {
        Ok(*req, {{"message_id", sent.sent_message().message_id()}});
      });
    });
  });
}

void BotApiService::Forward(RequestPtr req, uint64_t bot, const api::Message& original, uint64_t user, uint64_t group) {
  auto fwd = NewBody<messages::ForwardMessage>();
  *fwd->mutable_client() = RefOf(bot);
  fwd->mutable_request()->set_id(original.id());
  fwd->mutable_request()->set_peer_user(user);
  fwd->mutable_request()->set_chat_id(group);
  fwd->mutable_request()->set_random_id(env_->Random().Next() | 1);
  CallBox(req, BoxOwner(shape_, bot), std::move(fwd),
          [this, req, bot, original, user, group](const api::ServerFrame& f) {
            api::Message m = original;  // its text and file, forwarded from whoever wrote it first
            m.set_id(f.sent_message().message_id());
            m.set_date_us(f.sent_message().date_us());
            m.set_from_user(bot);
            m.set_peer_user(user);
            m.set_chat_id(group);
            m.set_fwd_from_user(original.fwd_from_user() != 0 ? original.fwd_from_user() : original.from_user());
            m.set_fwd_date_us(original.fwd_date_us() != 0 ? original.fwd_date_us() : original.date_us());
            m.set_reply_to_id(0);
            m.clear_reply_markup();
            WithProfiles({bot, user, m.fwd_from_user()},
                         [this, req, m] { Ok(*req, botjson::MessageJson(m, ProfileLookup(), TitleLookup())); });
          });
}

void BotApiService::SendChatAction(RequestPtr req, Bot& bot) {
  static const std::set<std::string> kActions = {
      "typing",          "upload_photo",   "record_video",  "upload_video",      "record_voice",     "upload_voice",
      "upload_document", "choose_sticker", "find_location", "record_video_note", "upload_video_note"};
  uint64_t user = 0, group = 0;
  if (!ChatParam(*req, "chat_id", &user, &group)) return;
  if (!kActions.contains(req->Param("action")))
    return Fail(*req, 400, "Bad Request: wrong parameter action in request");
  const uint64_t id = bot.account.id();
  IfMayWrite(req, bot, user, [this, req, id, user, group] {
    auto typing = NewBody<messages::SetTyping>();
    *typing->mutable_client() = RefOf(id);
    typing->mutable_request()->set_peer_user(user);
    typing->mutable_request()->set_chat_id(group);
    CallBox(req, BoxOwner(shape_, id), std::move(typing), [this, req](const api::ServerFrame&) { Ok(*req, true); });
  });
}

void BotApiService::GetChat(RequestPtr req, Bot& bot) {
  uint64_t user = 0, group = 0;
  if (!ChatParam(*req, "chat_id", &user, &group)) return;
  if (user != 0) {
    return IfMayWrite(
        req, bot, user,
        [this, req, user] {
          WithProfiles({user}, [this, req, user] {
            const auth::Profile* p = ProfileOf(user);
            if (p == nullptr || p->first_name().empty()) return Fail(*req, 400, "Bad Request: chat not found");
            Ok(*req, botjson::PrivateChatJson(user, p));
          });
        },
        true);
  }
  auto get = NewBody<messages::GetChat>();
  *get->mutable_client() = RefOf(bot.account.id());
  get->mutable_request()->set_chat_id(group);
  CallBox(req, BoxOwner(shape_, bot.account.id()), std::move(get), [this, req](const api::ServerFrame& f) {
    Ok(*req, botjson::GroupChatJson(f.chat().id(), f.chat().title()));
  });
}

// --- Profiles, for the users and chats updates name.

std::string BotApiService::TitleOf(uint64_t group) const {
  auto it = titles_.find(group);
  return it == titles_.end() ? "" : it->second;
}

void BotApiService::WithTitles(uint64_t bot, std::vector<uint64_t> groups, std::function<void()> done) {
  std::sort(groups.begin(), groups.end());
  groups.erase(std::unique(groups.begin(), groups.end()), groups.end());
  std::erase_if(groups, [this](uint64_t g) { return g == 0 || titles_.contains(g); });
  if (groups.empty()) return done();
  if (titles_.size() > 100000) titles_.clear();  // a bound, not a policy: they are asked again
  auto left = std::make_shared<size_t>(groups.size());
  for (uint64_t group : groups) {
    auto get = NewBody<messages::GetChat>();
    *get->mutable_client() = RefOf(bot);
    get->mutable_request()->set_chat_id(group);
    env_->Call(BoxOwner(shape_, bot), std::move(get), limits_.request_timeout,
               [this, left, done, group](const CallResult& r) {
                 const auto* answer = r.As<rpc::ClientAnswer>();
                 if (answer != nullptr && answer->frame().has_chat()) titles_[group] = answer->frame().chat().title();
                 if (--*left == 0) done();
               });
  }
}

const auth::Profile* BotApiService::ProfileOf(uint64_t user) const {
  auto it = profiles_.find(user);
  return it == profiles_.end() ? nullptr : &it->second;
}

void BotApiService::FetchProfiles(std::vector<uint64_t> users, std::function<void(bool failed)> done) {
  std::map<Address, std::shared_ptr<auth::GetProfiles>, AddressLess> asks;
  for (uint64_t u : users) {
    if (u == 0 || profiles_.contains(u)) continue;
    auto& ask = asks[AuthOfUser(shape_, u)];
    if (!ask) ask = NewBody<auth::GetProfiles>();
    ask->add_users(u);
  }
  if (asks.empty()) return done(false);
  if (profiles_.size() > 100000) profiles_.clear();  // a bound, not a policy: they are fetched again
  auto left = std::make_shared<size_t>(asks.size());
  auto failed = std::make_shared<bool>(false);
  for (auto& [to, ask] : asks) {
    env_->Call(to, std::move(ask), limits_.request_timeout, [this, left, failed, done](const CallResult& r) {
      if (const auto* got = r.As<auth::Profiles>()) {
        for (const auth::Profile& p : got->profiles()) profiles_[p.id()] = p;
      } else {
        *failed = true;
      }
      if (--*left == 0) done(*failed);
    });
  }
}

}  // namespace msgbed
