// The terminal client's command parsing: what a user types is sent as
// typed, or refused with the usage line.
#include "live/terminal_client.h"

#include <gtest/gtest.h>

#include "live/terminal_commands.h"

namespace msgbed::live {
namespace {

TEST(ChatLine, UserIdThenSpaceThenText) {
  auto c = ParseChatLine("@2 hello there");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->peer, 2u);
  EXPECT_EQ(c->text, "hello there");
  c = ParseChatLine("@40002   spaced");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->peer, 40002u);
  EXPECT_EQ(c->text, "spaced");
}

TEST(ChatLine, RefusesWhatIsNotOne) {
  for (const char* bad : {"@40002hello", "@-1 x", "@0 x", "@ x", "@2", "@2 ", "2 hello", "@1x2 y",
                          "@9223372036854775808 too big", "@99999999999999999999 way too big", "@+3 x"}) {
    EXPECT_FALSE(ParseChatLine(bad)) << bad;
  }
  EXPECT_TRUE(ParseChatLine("@9223372036854775807 largest"));
}

// Found by review: an escape sequence in a message drove the reader's terminal.
TEST(Printable, ControlCharactersBecomeQuestionMarksAndUtf8Stays) {
  EXPECT_EQ(Printable("\x1b[31mred\x07 \x1b]0;title\x07"), "?[31mred? ?]0;title?");
  EXPECT_EQ(Printable("tab\there\r\n\x7f"), "tab?here???");
  EXPECT_EQ(Printable("héllo 👋"), "héllo 👋");
}

TEST(ChatLine, GroupsAndChannelsHaveTheirOwnMarks) {
  auto g = ParseChatLine("#77 hi all");
  ASSERT_TRUE(g);
  EXPECT_EQ(g->kind, ChatLine::kGroup);
  EXPECT_EQ(g->peer, 77u);
  auto c = ParseChatLine("!88 news");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->kind, ChatLine::kChannel);
  EXPECT_EQ(c->text, "news");
  EXPECT_EQ(ParseChatLine("@5 hi")->kind, ChatLine::kUser);
  for (const char* bad : {"#0 x", "!x y", "# 5", "$5 hi", "#5"}) EXPECT_FALSE(ParseChatLine(bad)) << bad;
}

TEST(ChatCommand, EachParsesToItsRequestOrNothing) {
  auto group = ParseAccountCommand("/group friends 2 3");
  ASSERT_TRUE(group);
  EXPECT_EQ(group->create_chat().title(), "friends");
  EXPECT_EQ(group->create_chat().users_size(), 2);
  EXPECT_EQ(group->create_chat().random_id(), 0u) << "the client picks it";
  EXPECT_EQ(ParseAccountCommand("/add 9 4")->add_chat_user().user_id(), 4u);
  EXPECT_EQ(ParseAccountCommand("/remove 9 4")->delete_chat_user().chat_id(), 9u);
  EXPECT_TRUE(ParseAccountCommand("/channel news")->create_channel().broadcast());
  EXPECT_FALSE(ParseAccountCommand("/channel town supergroup")->create_channel().broadcast());
  EXPECT_EQ(ParseAccountCommand("/join 12")->join_channel().channel_id(), 12u);
  EXPECT_EQ(ParseAccountCommand("/leave 12")->leave_channel().channel_id(), 12u);
  EXPECT_EQ(ParseAccountCommand("/edit 3 new words here")->edit_message().text(), "new words here");
  EXPECT_TRUE(ParseAccountCommand("/delete 3")->delete_messages().revoke());
  EXPECT_EQ(ParseAccountCommand("/read @2")->read_history().peer_user(), 2u);
  EXPECT_EQ(ParseAccountCommand("/read #9")->read_history().chat_id(), 9u);
  const auto read = ParseAccountCommand("/read !3 40");
  ASSERT_TRUE(read);
  EXPECT_EQ(read->read_history().channel_id(), 3u);
  EXPECT_EQ(read->read_history().max_id(), 40u);
  const auto fwd = ParseAccountCommand("/forward !3 40 @2");
  ASSERT_TRUE(fwd);
  EXPECT_EQ(fwd->forward_message().from_channel_id(), 3u);
  EXPECT_EQ(fwd->forward_message().id(), 40u);
  EXPECT_EQ(fwd->forward_message().peer_user(), 2u);
  EXPECT_EQ(ParseAccountCommand("/forward 7 !5")->forward_message().channel_id(), 5u);
  EXPECT_EQ(ParseAccountCommand("/forward 7 #6")->forward_message().chat_id(), 6u);
  EXPECT_EQ(ParseAccountCommand("/forward 7 #6")->forward_message().from_channel_id(), 0u);
  EXPECT_EQ(ParseAccountCommand("/history @2")->get_history().peer_user(), 2u);
  EXPECT_EQ(ParseAccountCommand("/history @2")->get_history().offset_id(), 0u) << "from the newest";
  EXPECT_EQ(ParseAccountCommand("/history #6 30")->get_history().chat_id(), 6u);
  EXPECT_EQ(ParseAccountCommand("/history !5 30")->get_history().offset_id(), 30u);
  EXPECT_EQ(ParseAccountCommand("/push fcm:abc")->register_device().token(), "fcm:abc");
  ASSERT_TRUE(ParseAccountCommand("/push"));
  EXPECT_TRUE(ParseAccountCommand("/push")->has_register_device()) << "no token: unregister";
  for (const char* bad : {"/push a b",        "/group friends",
                          "/group t 2 x",     "/add 9",
                          "/add 0 4",         "/channel",
                          "/channel a b",     "/join",
                          "/join x",          "/edit 3",
                          "/edit x y",        "/delete",
                          "/read 2",          "/read @",
                          "/read !3",         "/read @2 4",
                          "/read !3 x",       "/forward 7",
                          "/forward 7 6",     "/forward @3 7 #6",
                          "/forward !3 x @2", "/forward !3 7 @2 x",
                          "/history",         "/history 2",
                          "/history @2 x",    "/history @2 0",
                          "/history @2 3 4"}) {
    EXPECT_FALSE(ParseAccountCommand(bad)) << bad;
  }
}

TEST(AccountCommand, ExactlyOneCommandOrNothing) {
  ASSERT_TRUE(ParseAccountCommand("/sessions"));
  EXPECT_TRUE(ParseAccountCommand("/sessions")->has_get_authorizations());
  auto t = ParseAccountCommand("/terminate 7");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->reset_authorization().device_id(), 7u);
  EXPECT_EQ(ParseAccountCommand("/terminate 0")->reset_authorization().device_id(), 0u);
  auto p = ParseAccountCommand("/password - hunter2");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->update_password().current(), "");
  EXPECT_EQ(p->update_password().new_password(), "hunter2");
  EXPECT_EQ(ParseAccountCommand("/password hunter2 -")->update_password().new_password(), "");
  auto e = ParseAccountCommand("/password - hunter2 ann@example.org");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->update_password().email(), "ann@example.org");
  // Found by a hostile tester: "0x2" ended every other session, and the
  // words after a password's first were dropped silently.
  for (const char* bad : {"/terminate 0x2", "/terminate 3x", "/terminate 2 3", "/terminate", "/terminate -1",
                          "/terminate 99999999999999999999", "/password x my secret", "/password - two words",
                          "/password onlyone", "/sessions now"}) {
    EXPECT_FALSE(ParseAccountCommand(bad)) << bad;
  }
}

}  // namespace
}  // namespace msgbed::live
