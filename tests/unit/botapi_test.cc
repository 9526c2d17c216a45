// The Bot API server's core on the unit-test cluster: bot accounts, tokens,
// getUpdates and long polling, sending as the bot, privacy mode, inline
// buttons, rate limits, restarts, relaying, webhooks and files
// (docs/bots.md).
#include "botapi/placement.h"
#include "unit/botapi_fixture.h"

namespace msgbed::testing {
namespace {

TEST_F(BotApi, TheOperatorCreatesABotWhoseTokenWorksAndOnlyIt) {
  EXPECT_EQ(token.rfind(std::to_string(bot) + ":", 0), 0u) << token;
  const Json me = Ok(Call(Method("getMe")));
  EXPECT_EQ(me["id"], bot);
  EXPECT_TRUE(me["is_bot"].get<bool>());
  EXPECT_EQ(me["username"], "echo_bot");
  EXPECT_EQ(me["first_name"], "Echo");
  EXPECT_EQ(Call("/bot" + std::to_string(bot) + ":wrong/getMe").status(), 401u);
  EXPECT_EQ(Call("/bot123:abc/getMe").status(), 401u);
  EXPECT_EQ(Call(Method("GETME")).status(), 200u) << "method names ignore case";
  const api::BotAnswer unknown = Call(Method("noSuchMethod"));
  EXPECT_EQ(unknown.status(), 404u);
  EXPECT_EQ(Body(unknown)["error_code"], 404);
  EXPECT_FALSE(Body(unknown)["ok"].get<bool>());
  EXPECT_EQ(Call("/nothing").status(), 404u);
  api::BotCall brew;
  brew.set_http_method("BREW");
  brew.set_path(Method("getMe"));
  c.BotRequest(0, 77, brew);
  c.Run();
  ASSERT_EQ(c.BotAnswers(0, 77).size(), 1u);
  EXPECT_EQ(c.BotAnswers(0, 77)[0].status(), 405u);
}

TEST_F(BotApi, OperatorRequestsNeedTheOperatorAndValidNames) {
  EXPECT_EQ(Call("/admin/createBot", {{"username", "other_bot"}}, false).status(), 401u);
  EXPECT_EQ(Call("/admin/createBot", {{"username", "echo_BOT"}}, true).status(), 400u) << "taken, ignoring case";
  EXPECT_EQ(Call("/admin/createBot", {{"username", "notabott"}}, true).status(), 400u);
  EXPECT_EQ(Call("/admin/createBot", {{"username", "1_bot"}}, true).status(), 400u);
  EXPECT_EQ(Ok(Call("/admin/findBot", {{"username", "Echo_Bot"}}, true))["id"], bot);
  EXPECT_EQ(Call("/admin/findBot", {{"username", "nobody_bot"}}, true).status(), 404u);
}

TEST_F(BotApi, ARevokedTokenStopsWorkingAndTheNewOneWorks) {
  EXPECT_EQ(Call(Method("getMe")).status(), 200u);  // cached now
  const Json fresh = Ok(Call("/admin/revokeToken", {{"bot_id", std::to_string(bot)}}, true));
  EXPECT_EQ(Call(Method("getMe")).status(), 401u);
  token = fresh["token"];
  EXPECT_EQ(Call(Method("getMe")).status(), 200u);
}

TEST_F(BotApi, ALongPollWakesWhenAUserWritesAndOffsetConfirms) {
  const ConnId poll = Start(Method("getUpdates"), {{"timeout", "30"}});
  c.Run();
  EXPECT_TRUE(c.BotAnswers(0, poll).empty()) << "nothing to say yet: it waits";
  ASSERT_TRUE(Ask(*alice, TextTo(bot, "hello bot", 11)).has_sent_message());
  ASSERT_EQ(c.BotAnswers(0, poll).size(), 1u) << "woken by the push, no time passed";
  const Json updates = Ok(c.BotAnswers(0, poll)[0]);
  ASSERT_EQ(updates.size(), 1u);
  const Json& m = updates[0]["message"];
  EXPECT_EQ(m["text"], "hello bot");
  EXPECT_EQ(m["from"]["id"], 1);
  EXPECT_FALSE(m["from"]["is_bot"].get<bool>());
  EXPECT_EQ(m["chat"]["id"], 1);
  EXPECT_EQ(m["chat"]["type"], "private");
  const uint64_t first = updates[0]["update_id"];
  EXPECT_EQ(Updates().size(), 1u) << "not confirmed yet: given again";
  EXPECT_EQ(Updates({{"offset", std::to_string(first + 1)}}).size(), 0u);
  EXPECT_EQ(Updates().size(), 0u) << "confirmed updates are gone";
}

TEST_F(BotApi, TheBotSendsWithAKeyboardAndTheUserPressesAButton) {
  Started(*alice, 1001);
  const std::string keyboard = R"({"inline_keyboard":[[{"text":"Yes","callback_data":"yes"}]]})";
  const Json sent =
      Ok(Call(Method("sendMessage"), {{"chat_id", "1"}, {"text", "Continue?"}, {"reply_markup", keyboard}}));
  EXPECT_EQ(sent["text"], "Continue?");
  EXPECT_EQ(sent["chat"]["id"], 1);
  EXPECT_EQ(sent["reply_markup"]["inline_keyboard"][0][0]["callback_data"], "yes");
  ASSERT_FALSE(alice->delivered.empty());
  const api::Message shown = alice->delivered.back();
  EXPECT_EQ(shown.text(), "Continue?");
  EXPECT_EQ(Json::parse(shown.reply_markup())["inline_keyboard"][0][0]["text"], "Yes");

  api::ClientFrame press;
  press.mutable_get_bot_callback_answer()->set_bot(bot);
  press.mutable_get_bot_callback_answer()->set_message_id(shown.id());
  press.mutable_get_bot_callback_answer()->set_origin_id(shown.origin_id());
  press.mutable_get_bot_callback_answer()->set_data("yes");
  const uint64_t asked = alice->core.Request(press);
  c.Run();
  const Json updates = Updates();
  ASSERT_EQ(updates.size(), 1u);
  const Json& query = updates[0]["callback_query"];
  EXPECT_EQ(query["data"], "yes");
  EXPECT_EQ(query["from"]["id"], 1);
  EXPECT_EQ(query["message"]["message_id"], sent["message_id"]);
  EXPECT_EQ(Ok(Call(Method("answerCallbackQuery"), {{"callback_query_id", query["id"]}, {"text", "Done"}})), true);
  const auto answer = std::find_if(alice->frames.begin(), alice->frames.end(),
                                   [&](const api::ServerFrame& f) { return f.request_id() == asked; });
  ASSERT_NE(answer, alice->frames.end());
  EXPECT_EQ(answer->bot_callback_answer().message(), "Done");
  EXPECT_EQ(Call(Method("answerCallbackQuery"), {{"callback_query_id", query["id"]}}).status(), 400u)
      << "answered once";
}

TEST_F(BotApi, AnUnansweredButtonTimesOutForTheUser) {
  Started(*alice, 1009);
  Ok(Call(Method("sendMessage"), {{"chat_id", "1"},
                                  {"text", "?"},
                                  {"reply_markup", R"({"inline_keyboard":[[{"text":"X","callback_data":"x"}]]})"}}));
  const api::Message shown = alice->delivered.back();
  api::ClientFrame press;
  press.mutable_get_bot_callback_answer()->set_bot(bot);
  press.mutable_get_bot_callback_answer()->set_message_id(shown.id());
  press.mutable_get_bot_callback_answer()->set_origin_id(shown.origin_id());
  press.mutable_get_bot_callback_answer()->set_data("x");
  const uint64_t asked = alice->core.Request(press);
  c.Run();
  c.Advance(9 * kSecond);
  const auto answer = std::find_if(alice->frames.begin(), alice->frames.end(),
                                   [&](const api::ServerFrame& f) { return f.request_id() == asked; });
  ASSERT_NE(answer, alice->frames.end());
  EXPECT_EQ(answer->error().code(), api::BOT_RESPONSE_TIMEOUT);
}

TEST_F(BotApi, DevicesMayNotSendKeyboards) {
  api::ClientFrame f = TextTo(2, "hi", 5);
  f.mutable_send_message()->set_reply_markup(R"({"inline_keyboard":[]})");
  EXPECT_EQ(Ask(*alice, f).error().code(), api::USER_BOT_REQUIRED);
}

TEST_F(BotApi, BadParametersGet400WithADescription) {
  Started(*alice, 1002);
  const api::BotAnswer no_chat = Call(Method("sendMessage"), {{"text", "x"}});
  EXPECT_EQ(no_chat.status(), 400u);
  EXPECT_NE(Body(no_chat)["description"].get<std::string>().find("chat_id"), std::string::npos);
  EXPECT_EQ(Call(Method("sendMessage"), {{"chat_id", "abc"}, {"text", "x"}}).status(), 400u);
  EXPECT_EQ(Call(Method("sendMessage"), {{"chat_id", "1"}, {"text", ""}}).status(), 400u);
  EXPECT_EQ(Call(Method("sendMessage"), {{"chat_id", "1"}, {"text", " \n "}}).status(), 400u) << "blanks only";
  EXPECT_EQ(Call(Method("sendMessage"), {{"chat_id", "1"}, {"text", std::string(4097, 'a')}}).status(), 400u);
  EXPECT_EQ(Call(Method("sendMessage"), {{"chat_id", "1"}, {"text", "x"}, {"reply_markup", "{"}}).status(), 400u);
  EXPECT_EQ(Call(Method("sendChatAction"), {{"chat_id", "1"}, {"action", "dancing"}}).status(), 400u);
  EXPECT_EQ(Call(Method("getUpdates"), {{"offset", "x"}}).status(), 400u);
}

TEST_F(BotApi, AChatGetsAtMostABurstThenRetryAfter) {
  Started(*bob, 1003);
  uint32_t ok = 0, limited = 0, retry_after = 0;
  for (int i = 0; i < 8; ++i) {
    const api::BotAnswer a = Call(Method("sendMessage"), {{"chat_id", "2"}, {"text", "n" + std::to_string(i)}});
    if (a.status() == 200) ++ok;
    if (a.status() == 429) {
      ++limited;
      retry_after = Body(a)["parameters"]["retry_after"];
      EXPECT_EQ(a.retry_after_s(), retry_after);
    }
  }
  EXPECT_EQ(ok, 5u);
  EXPECT_EQ(limited, 3u);
  EXPECT_GE(retry_after, 1u);
  c.Advance(2 * kSecond);
  EXPECT_EQ(Call(Method("sendMessage"), {{"chat_id", "2"}, {"text", "later"}}).status(), 200u);
}

TEST_F(BotApi, UpdatesWaitInTheStoreWhileTheServerIsDown) {
  EXPECT_EQ(Updates().size(), 0u);  // the bot polls once: registered
  c.Crash(MakeAddress(role::kBotApi, 0));
  ASSERT_TRUE(Ask(*alice, TextTo(bot, "while you were out", 21)).has_sent_message());
  c.Start(MakeAddress(role::kBotApi, 0));
  c.Run();
  const Json updates = Updates({{"timeout", "5"}});
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0]["message"]["text"], "while you were out");
  // And a queue that was filled survives a restart too.
  ASSERT_TRUE(Ask(*bob, TextTo(bot, "second", 22)).has_sent_message());
  c.Restart(MakeAddress(role::kBotApi, 0));
  c.Run();
  const Json again = Updates({{"timeout", "5"}});
  ASSERT_EQ(again.size(), 2u);
  EXPECT_EQ(again[1]["message"]["text"], "second");
  EXPECT_EQ(again[0]["update_id"], updates[0]["update_id"]) << "update ids are kept";
}

TEST_F(BotApi, PrivacyModeShowsCommandsAndMentionsInGroups) {
  api::ClientFrame create;
  create.mutable_create_chat()->set_title("club");
  create.mutable_create_chat()->set_random_id(9);
  create.mutable_create_chat()->add_users(2);
  create.mutable_create_chat()->add_users(bot);
  const api::ServerFrame chat = Ask(*alice, create);
  ASSERT_TRUE(chat.has_chat()) << chat.ShortDebugString();
  auto say = [&](const std::string& text, uint64_t random_id) {
    api::ClientFrame f;
    f.mutable_send_message()->set_chat_id(chat.chat().id());
    f.mutable_send_message()->set_text(text);
    f.mutable_send_message()->set_random_id(random_id);
    ASSERT_TRUE(Ask(*alice, f).has_sent_message());
  };
  say("just chatting", 31);
  say("/start now", 32);
  say("hey @Echo_Bot look", 33);
  const Json updates = Updates({{"timeout", "1"}});
  std::vector<std::string> seen;
  for (const Json& u : updates) {
    if (u.contains("my_chat_member")) {
      EXPECT_EQ(u["my_chat_member"]["new_chat_member"]["status"], "member");
      seen.push_back("joined");
    }
    if (u.contains("message") && u["message"].contains("text")) seen.push_back(u["message"]["text"]);
    if (u.contains("message")) {
      EXPECT_EQ(u["message"]["chat"]["id"], -static_cast<int64_t>(chat.chat().id()));
      EXPECT_EQ(u["message"]["chat"]["title"], "club") << "a group's Chat has its title, as the Bot API's";
    }
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"joined", "/start now", "hey @Echo_Bot look"}));
  // Commands and mentions carry their entities, as Telegram's server finds them.
  for (const Json& u : updates) {
    if (!u.contains("message") || !u["message"].contains("text")) continue;
    const Json& m = u["message"];
    if (m["text"] == "/start now") {
      EXPECT_EQ(m["entities"], Json::parse(R"([{"type":"bot_command","offset":0,"length":6}])"));
    } else if (m["text"] == "hey @Echo_Bot look") {
      EXPECT_EQ(m["entities"], Json::parse(R"([{"type":"mention","offset":4,"length":9}])"));
    }
  }
  const Json sent =
      Ok(Call(Method("sendMessage"),
              {{"chat_id", std::to_string(-static_cast<int64_t>(chat.chat().id()))}, {"text", "hi all"}}));
  EXPECT_EQ(sent["chat"]["type"], "group");
  EXPECT_EQ(sent["chat"]["title"], "club");
  EXPECT_EQ(bob->delivered.back().text(), "hi all");
}

TEST_F(BotApi, AWebhookExcludesGetUpdates) {
  EXPECT_EQ(Ok(Call(Method("setWebhook"), {{"url", "http://127.0.0.1:8443/hook"}})), true);
  const api::BotAnswer conflict = Call(Method("getUpdates"));
  EXPECT_EQ(conflict.status(), 409u);
  EXPECT_EQ(Ok(Call(Method("getWebhookInfo")))["url"], "http://127.0.0.1:8443/hook");
  EXPECT_EQ(Call(Method("setWebhook"), {{"url", "ftp://x"}}).status(), 400u);
  EXPECT_EQ(Ok(Call(Method("deleteWebhook"))), true);
  EXPECT_EQ(Call(Method("getUpdates")).status(), 200u);
}

TEST_F(BotApi, EditDeleteForwardCopyAndGetChat) {
  Started(*alice, 1004);
  Started(*bob, 1005);
  const Json sent = Ok(Call(Method("sendMessage"), {{"chat_id", "1"}, {"text", "draft"}}));
  const std::string id = std::to_string(sent["message_id"].get<uint64_t>());
  const Json edited = Ok(Call(Method("editMessageText"), {{"chat_id", "1"}, {"message_id", id}, {"text", "final"}}));
  EXPECT_EQ(edited["text"], "final");
  EXPECT_EQ(alice->delivered.back().text(), "draft");
  EXPECT_EQ(Call(Method("editMessageText"), {{"chat_id", "1"}, {"message_id", id}, {"text", "final"}}).status(), 400u)
      << "not modified";
  EXPECT_EQ(Ok(Call(Method("copyMessage"), {{"chat_id", "2"}, {"from_chat_id", "1"}, {"message_id", id}}))
                .contains("message_id"),
            true);
  EXPECT_EQ(bob->delivered.back().text(), "final");
  Ok(Call(Method("forwardMessage"), {{"chat_id", "2"}, {"from_chat_id", "1"}, {"message_id", id}}));
  EXPECT_EQ(bob->delivered.back().fwd_from_user(), bot);
  EXPECT_EQ(Ok(Call(Method("deleteMessage"), {{"chat_id", "1"}, {"message_id", id}})), true);
  EXPECT_EQ(Call(Method("deleteMessage"), {{"chat_id", "1"}, {"message_id", "999"}}).status(), 400u);
  const Json chat = Ok(Call(Method("getChat"), {{"chat_id", "1"}}));
  EXPECT_EQ(chat["type"], "private");
  EXPECT_EQ(chat["id"], 1);
  EXPECT_EQ(Ok(Call(Method("sendChatAction"), {{"chat_id", "1"}, {"action", "typing"}})), true);
}

struct TwoBotApis : BotApi {
  TwoBotApis() : BotApi(2) {}
};

TEST_F(TwoBotApis, ARequestToTheOtherInstanceIsRelayedToTheBotsOwner) {
  const uint32_t owner = BotApiOf(c.shape(), bot).index(), other = 1 - owner;
  const Json me = Ok(Call(Method("getMe"), {}, false, other));
  EXPECT_EQ(me["id"], bot);
  const ConnId poll = Start(Method("getUpdates"), {{"timeout", "30"}}, false, other);
  c.Run();
  ASSERT_TRUE(Ask(*alice, TextTo(bot, "via the other one", 41)).has_sent_message());
  ASSERT_EQ(c.BotAnswers(other, poll).size(), 1u);
  EXPECT_EQ(Ok(c.BotAnswers(other, poll)[0])[0]["message"]["text"], "via the other one");
}

TEST_F(BotApi, ASyncRestartKeepsPushingToTheBot) {
  EXPECT_EQ(Updates().size(), 0u);  // registered
  c.Restart(MakeAddress(role::kSync, 0));
  c.Advance(TestCluster::kSessionTimeout + kSecond);
  const ConnId poll = Start(Method("getUpdates"), {{"timeout", "50"}});
  c.Run();
  ASSERT_TRUE(Ask(*alice, TextTo(bot, "after the restart", 51)).has_sent_message());
  ASSERT_EQ(c.BotAnswers(0, poll).size(), 1u) << "sync learnt of the bot from the botapi instance";
}

struct Webhooks : BotApi {
  void SetUp() override {
    BotApi::SetUp();
    EXPECT_EQ(Ok(Call(Method("setWebhook"), {{"url", kUrl}, {"secret_token", "s3cret"}})), true);
  }
  static constexpr const char* kUrl = "http://127.0.0.1:8443/hook";
  Json Info() { return Ok(Call(Method("getWebhookInfo"))); }
};

TEST_F(Webhooks, EachUpdateIsPostedWithTheSecretAndConfirmedByA2xx) {
  ASSERT_TRUE(Ask(*alice, TextTo(bot, "to the hook", 61)).has_sent_message());
  ASSERT_EQ(c.webhook.sent.size(), 1u);
  const OutboundMessage& post = c.webhook.sent[0].message;
  EXPECT_EQ(post.to, kUrl);
  EXPECT_EQ(post.secret_token, "s3cret");
  const Json update = Json::parse(post.text);
  EXPECT_EQ(update["message"]["text"], "to the hook");
  EXPECT_TRUE(update.contains("update_id"));
  EXPECT_EQ(Info()["pending_update_count"], 0);
}

TEST_F(Webhooks, AFailingHookIsRetriedWithBackoffAndReported) {
  c.webhook.up = {false};
  ASSERT_TRUE(Ask(*alice, TextTo(bot, "one", 71)).has_sent_message());
  ASSERT_TRUE(Ask(*alice, TextTo(bot, "two", 72)).has_sent_message());
  const size_t tried = c.webhook.attempts;
  EXPECT_GE(tried, 1u);
  const Json info = Info();
  EXPECT_EQ(info["pending_update_count"], 2);
  EXPECT_NE(info["last_error_message"].get<std::string>().find("Wrong response"), std::string::npos);
  c.Advance(kSecond);
  EXPECT_GT(c.webhook.attempts, tried) << "retried after a second";
  c.webhook.up = {true};
  c.Advance(5 * kSecond);
  ASSERT_EQ(c.webhook.sent.size(), 2u);
  EXPECT_EQ(Json::parse(c.webhook.sent[0].message.text)["message"]["text"], "one") << "in order";
  EXPECT_EQ(Json::parse(c.webhook.sent[1].message.text)["message"]["text"], "two");
  EXPECT_EQ(Info()["pending_update_count"], 0);
}

TEST_F(Webhooks, ARestartedServerDeliversWhatCameWhileItWasDown) {
  c.Crash(MakeAddress(role::kBotApi, 0));
  ASSERT_TRUE(Ask(*alice, TextTo(bot, "while down", 81)).has_sent_message());
  EXPECT_TRUE(c.webhook.sent.empty());
  c.Start(MakeAddress(role::kBotApi, 0));
  c.Run();
  ASSERT_EQ(c.webhook.sent.size(), 1u);
  EXPECT_EQ(Json::parse(c.webhook.sent[0].message.text)["message"]["text"], "while down");
}

api::BotFile FileField(const std::string& field, const std::string& bytes) {
  api::BotFile f;
  f.set_field(field);
  f.set_filename("report.bin");
  f.set_content_type("application/pdf");
  f.set_bytes(bytes);
  return f;
}

TEST_F(BotApi, TheBotSendsAFileThatUsersAndItCanFetchAgain) {
  Started(*alice, 1006);
  Started(*bob, 1007);
  std::string bytes(1'300'000, '\0');  // three parts of 512 KiB
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i * 31 % 251);
  const Json sent = Ok(Call(Method("sendDocument"), {{"chat_id", "1"}, {"caption", "the report"}}, false, 0,
                            {FileField("document", bytes)}));
  EXPECT_EQ(sent["caption"], "the report");
  EXPECT_EQ(sent["document"]["file_size"], bytes.size());
  EXPECT_EQ(sent["document"]["mime_type"], "application/pdf");
  const std::string file_id = sent["document"]["file_id"];
  ASSERT_TRUE(alice->delivered.back().has_document());
  EXPECT_EQ(alice->delivered.back().document().size(), bytes.size());

  const Json file = Ok(Call(Method("getFile"), {{"file_id", file_id}}));
  EXPECT_EQ(file["file_size"], bytes.size());
  const api::BotAnswer download = Call("/file/bot" + token + "/" + file["file_path"].get<std::string>());
  EXPECT_EQ(download.status(), 200u);
  EXPECT_EQ(download.content_type(), "application/pdf");
  EXPECT_TRUE(download.body() == bytes) << "the same bytes back";

  // Again by file_id, to someone else: nothing is uploaded.
  const Json again = Ok(Call(Method("sendDocument"), {{"chat_id", "2"}, {"document", file_id}}));
  EXPECT_EQ(again["document"]["file_size"], bytes.size());
  EXPECT_EQ(bob->delivered.back().document().sha256(), alice->delivered.back().document().sha256());
}

TEST_F(BotApi, BadFilesAreRefused) {
  Started(*alice, 1008);
  EXPECT_EQ(Call(Method("sendDocument"), {{"chat_id", "1"}}).status(), 400u) << "no document";
  EXPECT_EQ(Call(Method("sendDocument"), {{"chat_id", "1"}, {"document", "not-a-file-id"}}).status(), 400u);
  EXPECT_EQ(Call(Method("getFile"), {{"file_id", "AAAA"}}).status(), 400u);
  EXPECT_EQ(Call("/file/bot" + token + "/documents/AAAA").status(), 404u);
  EXPECT_EQ(Call(Method("sendDocument"), {{"chat_id", "1"}}, false, 0, {FileField("document", "")}).status(), 400u);
}

TEST_F(BotApi, EntityOffsetsCountUtf16Units) {
  ASSERT_TRUE(Ask(*alice, TextTo(bot, "\xF0\x9F\x98\x80 \xC3\xA9 /help@echo_bot", 91)).has_sent_message());
  const Json updates = Updates({{"timeout", "1"}});
  ASSERT_EQ(updates.size(), 1u);
  // The emoji is two units, the accented letter one.
  EXPECT_EQ(updates[0]["message"]["entities"], Json::parse(R"([{"type":"bot_command","offset":5,"length":14}])"));
}

}  // namespace
}  // namespace msgbed::testing
