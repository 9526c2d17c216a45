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

}  // namespace
}  // namespace msgbed::live
