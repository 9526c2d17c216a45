// The message service's answers to unusual but legal requests, and to
// hostile ones.
#include "messages/message_service.h"

#include <gtest/gtest.h>

#include <numeric>

#include "core/frame_codec.h"
#include "unit/test_cluster.h"

namespace msgbed::testing {
namespace {

std::vector<api::ErrorCode> Codes(const TestDevice& d) {
  std::vector<api::ErrorCode> out;
  for (const auto& e : d.errors) out.push_back(e.code());
  return out;
}

struct Chat : ::testing::Test {
  TestCluster c{Shape(1, 2, 1, 2)};
  TestDevice& a = c.AddDevice(1, 1);
  TestDevice& b = c.AddDevice(2, 1);
  void SetUp() override {
    c.Connect(a);
    c.Connect(b);
    c.Run();
  }
  api::ClientFrame GetDifference(uint64_t pts, uint32_t limit) {
    api::ClientFrame f;
    f.set_request_id(999);
    f.mutable_get_difference()->set_pts(pts);
    f.mutable_get_difference()->set_limit(limit);
    return f;
  }
};

TEST_F(Chat, ARandomIdReusedForADifferentMessageIsRefused) {
  a.core.SendText(2, "first", 42);
  c.Run();
  a.core.SendText(2, "second, same random_id", 42);
  a.core.SendText(3, "first", 42);
  c.Run();
  EXPECT_EQ(Codes(a), (std::vector<api::ErrorCode>{api::RANDOM_ID_DUPLICATE, api::RANDOM_ID_DUPLICATE}));
  ASSERT_EQ(b.delivered.size(), 1u);
  EXPECT_EQ(b.delivered[0].text(), "first");
}

TEST_F(Chat, RandomIdZeroIsRefusedAndLaterMessagesStillGoThrough) {
  a.core.SendText(2, "zero", 0);
  a.core.SendText(2, "one", 1);
  a.core.SendText(2, "two", 2);
  c.Run();
  EXPECT_EQ(Codes(a), std::vector<api::ErrorCode>{api::RANDOM_ID_EMPTY});
  ASSERT_EQ(b.delivered.size(), 2u);
  EXPECT_EQ(b.delivered[1].text(), "two");
}

TEST_F(Chat, TextThatIsNotUtf8IsRefused) {
  a.core.SendText(2, "bad \xff\xfe bytes", 1);
  a.core.SendText(2, "\xe2\x82", 2);  // a truncated sequence
  c.Run();
  EXPECT_EQ(Codes(a), (std::vector<api::ErrorCode>{api::MESSAGE_INVALID, api::MESSAGE_INVALID}));
  EXPECT_TRUE(b.delivered.empty());
}

TEST_F(Chat, TextLimitCountsCharactersNotBytes) {
  std::string euros;
  for (size_t i = 0; i < kMaxMessageChars; ++i) euros += "\xe2\x82\xac";  // 4096 x U+20AC, 3 bytes each
  a.core.SendText(2, euros, 1);
  a.core.SendText(2, euros + "x", 2);
  c.Run();
  EXPECT_EQ(Codes(a), std::vector<api::ErrorCode>{api::MESSAGE_TOO_LONG});
  ASSERT_EQ(b.delivered.size(), 1u);
}

TEST_F(Chat, GetDifferenceFromTheLargestPtsIsEmpty) {
  a.core.SendText(2, "m", 1);
  c.Run();
  c.SendRaw(b, GetDifference(UINT64_MAX, 1000));
  c.Run();
  ASSERT_TRUE(b.frames.back().has_difference());
  EXPECT_EQ(b.frames.back().difference().updates_size(), 0);
  EXPECT_EQ(b.frames.back().difference().state_pts(), 1u);
  EXPECT_FALSE(b.frames.back().difference().is_slice());
}

TEST_F(Chat, DifferenceSlicesStayUnderTheFrameLimitWhateverTheCount) {
  c.Disconnect(b);
  const int n = 1000;
  for (int i = 0; i < n; ++i) {
    a.core.SendText(2, std::string(4096, 'x'), 1 + i);
    if (i % 50 == 49) c.Run();  // a client keeps fewer requests in flight than the gateway allows
  }
  c.Run();
  ASSERT_EQ(a.sent.size(), size_t(n));
  c.Connect(b);
  c.Run();
  ASSERT_EQ(b.delivered.size(), size_t(n));
  b.frames.clear();
  c.SendRaw(b, GetDifference(0, kMaxDifferenceLimit));  // a client asking for all 1000 at once
  c.Run();
  ASSERT_TRUE(b.frames.size() > 0 && b.frames[0].request_id() == 999);
  const api::ServerFrame& answer = b.frames[0];
  EXPECT_LE(answer.ByteSizeLong() + kFrameHeaderBytes, kDefaultMaxFrameBytes);
  EXPECT_GT(answer.difference().updates_size(), 0);
  EXPECT_TRUE(answer.difference().is_slice());
  for (const auto& f : b.frames) EXPECT_LE(f.ByteSizeLong() + kFrameHeaderBytes, kDefaultMaxFrameBytes);
  for (int i = 0; i < n; ++i) EXPECT_EQ(b.delivered[i].random_id(), uint64_t(1 + i));
}

}  // namespace
}  // namespace msgbed::testing
