// The Bot API server: the defects a hostile review found, each test
// written first and failing before its fix (docs/bots.md).
#include "botapi/bot_api_service.h"
#include "unit/botapi_fixture.h"

// Defects a hostile review found (each test failed before its fix).
namespace msgbed::testing {
namespace {

TEST_F(BotApi, ABotWritesOnlyToUsersWhoWroteToItFirst) {
  const api::BotAnswer cold = Call(Method("sendMessage"), {{"chat_id", "1"}, {"text", "spam"}});
  EXPECT_EQ(cold.status(), 403u) << cold.body();
  EXPECT_TRUE(alice->delivered.empty());
  EXPECT_EQ(Call(Method("sendMessage"), {{"chat_id", "999"}, {"text", "x"}}).status(), 400u) << "no such user";
  EXPECT_EQ(Call(Method("getChat"), {{"chat_id", "2"}}).status(), 400u) << "a stranger's profile stays hidden";
  ASSERT_TRUE(Ask(*alice, TextTo(bot, "/start", 101)).has_sent_message());
  EXPECT_EQ(Call(Method("sendMessage"), {{"chat_id", "1"}, {"text", "welcome"}}).status(), 200u);
  EXPECT_EQ(alice->delivered.back().text(), "welcome");
  EXPECT_EQ(Call(Method("getChat"), {{"chat_id", "1"}}).status(), 200u);
}

TEST_F(BotApi, RequestsWithWrongTokensLeaveNothingBehind) {
  for (uint64_t id = 1000; id < 1100; ++id) {
    EXPECT_EQ(Call("/bot" + std::to_string(id) + ":nope/getMe").status(), 401u);
  }
  EXPECT_EQ(c.As<BotApiService>(role::kBotApi, 0).bots_held(), 0u);
}

TEST_F(BotApi, OnlyTheBotThatGotAButtonPressAnswersItAndOnlyRealButtonsAreForwarded) {
  const Json other = Ok(Call("/admin/createBot", {{"username", "other_bot"}}, true));
  Started(*alice, 111);
  const std::string keyboard = R"({"inline_keyboard":[[{"text":"Yes","callback_data":"yes"}]]})";
  Ok(Call(Method("sendMessage"), {{"chat_id", "1"}, {"text", "Continue?"}, {"reply_markup", keyboard}}));
  const api::Message shown = alice->delivered.back();
  auto press = [&](const std::string& data, uint64_t origin) {
    api::ClientFrame f;
    f.mutable_get_bot_callback_answer()->set_bot(bot);
    f.mutable_get_bot_callback_answer()->set_message_id(shown.id());
    f.mutable_get_bot_callback_answer()->set_origin_id(origin);
    f.mutable_get_bot_callback_answer()->set_data(data);
    return Ask(*alice, f);
  };
  EXPECT_EQ(press("forged", shown.origin_id()).error().code(), api::BOT_INVALID) << "no such button";
  EXPECT_EQ(press("yes", shown.origin_id() + 7).error().code(), api::BOT_INVALID) << "no such message";
  const uint64_t asked = alice->core.Request([&] {
    api::ClientFrame f;
    f.mutable_get_bot_callback_answer()->set_bot(bot);
    f.mutable_get_bot_callback_answer()->set_message_id(shown.id());
    f.mutable_get_bot_callback_answer()->set_origin_id(shown.origin_id());
    f.mutable_get_bot_callback_answer()->set_data("yes");
    return f;
  }());
  c.Run();
  const Json updates = Updates();
  ASSERT_EQ(updates.size(), 1u);
  const Json& query = updates[0]["callback_query"];
  EXPECT_EQ(query["message"]["text"], "Continue?");
  EXPECT_GT(query["message"]["date"].get<int64_t>(), 0);
  EXPECT_GE(query["id"].get<std::string>().size(), 16u) << "not guessable";
  const std::string other_answer = "/bot" + other["token"].get<std::string>() + "/answerCallbackQuery";
  EXPECT_EQ(Call(other_answer, {{"callback_query_id", query["id"]}, {"text", "spoofed"}}).status(), 400u);
  EXPECT_EQ(Ok(Call(Method("answerCallbackQuery"), {{"callback_query_id", query["id"]}, {"text", "real"}})), true);
  const auto answer = std::find_if(alice->frames.begin(), alice->frames.end(),
                                   [&](const api::ServerFrame& f) { return f.request_id() == asked; });
  ASSERT_NE(answer, alice->frames.end());
  EXPECT_EQ(answer->bot_callback_answer().message(), "real");
}

TEST_F(BotApi, WebhookSettingsAreChecked) {
  EXPECT_EQ(Call(Method("setWebhook"), {{"url", "http://127.0.0.1:8443/h"}, {"secret_token", "abc\r\nX-Injected: yes"}})
                .status(),
            400u);
  EXPECT_EQ(Call(Method("setWebhook"), {{"url", "http://127.0.0.1:8443/h"}, {"secret_token", std::string(257, 'a')}})
                .status(),
            400u);
  for (const char* url : {"https://127.0.0.1:8443/x", "http://", "http://[::1", "http://127.0.0.1:6379/x"}) {
    EXPECT_EQ(Call(Method("setWebhook"), {{"url", url}}).status(), 400u) << url;
  }
  EXPECT_EQ(Call(Method("setWebhook"), {{"url", "http://127.0.0.1:8443/h"}, {"secret_token", "Ab-_9"}}).status(), 200u);
}

TEST_F(BotApi, EditingNamesTheChatTheMessageIsIn) {
  ASSERT_TRUE(Ask(*alice, TextTo(bot, "/start", 121)).has_sent_message());
  const Json sent = Ok(Call(Method("sendMessage"), {{"chat_id", "1"}, {"text", "mine"}}));
  const std::string id = std::to_string(sent["message_id"].get<uint64_t>());
  EXPECT_EQ(Call(Method("editMessageText"), {{"chat_id", "2"}, {"message_id", id}, {"text", "wrong chat"}}).status(),
            400u);
  const Json edited = Ok(Call(Method("editMessageText"), {{"chat_id", "1"}, {"message_id", id}, {"text", "right"}}));
  EXPECT_EQ(edited["date"], sent["date"]) << "the date it was sent";
}

TEST_F(BotApi, SettingAWebhookEndsAWaitingPoll) {
  const ConnId poll = Start(Method("getUpdates"), {{"timeout", "30"}});
  c.Run();
  Ok(Call(Method("setWebhook"), {{"url", "http://127.0.0.1:8443/h"}}));
  ASSERT_EQ(c.BotAnswers(0, poll).size(), 1u);
  EXPECT_EQ(c.BotAnswers(0, poll)[0].status(), 409u);
  ASSERT_TRUE(Ask(*alice, TextTo(bot, "once", 131)).has_sent_message());
  EXPECT_EQ(c.webhook.sent.size(), 1u) << "delivered once, by the webhook";
}

TEST_F(BotApi, AllowedUpdatesFilterOnlyWhatComesAfter) {
  ASSERT_TRUE(Ask(*alice, TextTo(bot, "before", 141)).has_sent_message());
  Updates({{"timeout", "1"}, {"limit", "1"}, {"offset", "-1"}});  // queued, not confirmed
  EXPECT_EQ(Updates({{"allowed_updates", R"(["callback_query"])"}}).size(), 1u) << "queued before the filter";
  ASSERT_TRUE(Ask(*alice, TextTo(bot, "after", 142)).has_sent_message());
  const Json all = Updates({{"allowed_updates", "[]"}});
  ASSERT_EQ(all.size(), 1u) << "the message after the filter was dropped";
  EXPECT_EQ(all[0]["message"]["text"], "before");
}

TEST_F(BotApi, AMentionIsAWholeWord) {
  api::ClientFrame create;
  create.mutable_create_chat()->set_title("club");
  create.mutable_create_chat()->set_random_id(151);
  create.mutable_create_chat()->add_users(bot);
  const api::ServerFrame chat = Ask(*alice, create);
  ASSERT_TRUE(chat.has_chat());
  for (auto [text, id] : {std::pair<const char*, uint64_t>{"hey @ECHO_BOTx no", 152},
                          {"mail foo@echo_bot no", 153},
                          {"hi @echo_bot, yes", 154}}) {
    api::ClientFrame f;
    f.mutable_send_message()->set_chat_id(chat.chat().id());
    f.mutable_send_message()->set_text(text);
    f.mutable_send_message()->set_random_id(id);
    ASSERT_TRUE(Ask(*alice, f).has_sent_message());
  }
  std::vector<std::string> seen;
  for (const Json& u : Updates({{"timeout", "1"}})) {
    if (u.contains("message") && u["message"].contains("text")) seen.push_back(u["message"]["text"]);
  }
  EXPECT_EQ(seen, std::vector<std::string>{"hi @echo_bot, yes"});
}

TEST_F(BotApi, AForwardAnswersWithTheForwardedMessage) {
  ASSERT_TRUE(Ask(*alice, TextTo(bot, "/start", 161)).has_sent_message());
  ASSERT_TRUE(Ask(*bob, TextTo(bot, "/start", 162)).has_sent_message());
  const Json sent = Ok(Call(Method("sendMessage"), {{"chat_id", "1"}, {"text", "pass it on"}}));
  const Json fwd = Ok(Call(
      Method("forwardMessage"),
      {{"chat_id", "2"}, {"from_chat_id", "1"}, {"message_id", std::to_string(sent["message_id"].get<uint64_t>())}}));
  EXPECT_EQ(fwd["text"], "pass it on");
  EXPECT_EQ(fwd["forward_origin"]["sender_user"]["id"], bot);
}

TEST_F(BotApi, UrlButtonsNeedAWebOrTelegramLink) {
  ASSERT_TRUE(Ask(*alice, TextTo(bot, "/start", 171)).has_sent_message());
  EXPECT_EQ(Call(Method("sendMessage"),
                 {{"chat_id", "1"},
                  {"text", "x"},
                  {"reply_markup", R"j({"inline_keyboard":[[{"text":"b","url":"javascript:alert(1)"}]]})j"}})
                .status(),
            400u);
  EXPECT_EQ(
      Call(Method("sendMessage"), {{"chat_id", "1"},
                                   {"text", "x"},
                                   {"reply_markup", R"({"inline_keyboard":[[{"text":"b","url":"https://e.org"}]]})"}})
          .status(),
      200u);
}

TEST_F(BotApi, RevokingSomethingThatIsNotABotSaysSo) {
  const api::BotAnswer a = Call("/admin/revokeToken", {{"bot_id", "1"}}, true);
  EXPECT_EQ(a.status(), 400u);
  EXPECT_NE(Body(a)["description"].get<std::string>().find("not a bot"), std::string::npos) << a.body();
  EXPECT_EQ(Ok(Call("/admin/findBot", {{"username", "ECHO_BOT"}}, true))["username"], "echo_bot");
}

TEST_F(BotApi, OneAddressHoldsAtMostAHundredConnections) {
  BotApiService& s = c.As<BotApiService>(role::kBotApi, 0);
  for (ConnId conn = 500; conn < 601; ++conn) c.host(MakeAddress(role::kBotApi, 0)).ClientOpened(conn, "10.0.0.1");
  EXPECT_EQ(c.substrate(MakeAddress(role::kBotApi, 0)).closed_reasons_.size(), 1u);
  EXPECT_EQ(s.connections(), 100u);
}

}  // namespace
}  // namespace msgbed::testing
