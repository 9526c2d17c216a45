// The terminal client's command parsing: what a user types is sent as
// typed, or refused with the usage line.
#include "live/terminal_client.h"

#include <gtest/gtest.h>

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
