// Channels and supergroups through the real cores: one copy per post,
// fanned out to every member device, caught up after time away.
#include <gtest/gtest.h>

#include <set>

#include "unit/chat_cluster.h"

namespace msgbed::testing {
namespace {

struct Channels : Groups {
  uint64_t Create(TestDevice& creator, bool broadcast, uint64_t random_id = 1) {
    api::ClientFrame f;
    f.mutable_create_channel()->set_title(broadcast ? "news" : "town square");
    f.mutable_create_channel()->set_broadcast(broadcast);
    f.mutable_create_channel()->set_random_id(random_id);
    const api::ServerFrame answer = Ask(creator, f);
    EXPECT_TRUE(answer.has_channel()) << answer.ShortDebugString();
    return answer.channel().id();
  }
  api::ErrorCode Join(TestDevice& d, uint64_t channel) {
    api::ClientFrame f;
    f.mutable_join_channel()->set_channel_id(channel);
    return ErrorOf(d, f);
  }
  storage::BoxHead ChannelHead(uint64_t channel) {
    storage::BoxHead head;
    EXPECT_TRUE(BoxStore(&c.substrate(ChannelOwner(c.shape(), channel)).Store(), 'C').Head(channel, &head).ok());
    return head;
  }
  static std::vector<std::string> ChannelTexts(const TestDevice& d, uint64_t channel) {
    std::vector<std::string> out;
    for (const api::Message& m : d.delivered) {
      if (m.channel_id() == channel) out.push_back(m.text());
    }
    return out;
  }
  int64_t Stat(uint64_t channel, const std::string& name) {
    return c.host(ChannelOwner(c.shape(), channel)).Stats().Get(name);
  }
};

TEST_F(Channels, APostIsOneWriteThatEveryMemberDeviceGetsOnce) {
  const uint64_t channel = Create(dev(1), true);
  for (uint64_t user : {2, 3}) ASSERT_EQ(Join(dev(user), channel), api::ERROR_NONE);
  const int64_t records_before = Stat(channel, "messages.fanout_records");
  dev(1).core.SendToChannel(channel, "breaking news", 1);
  c.Run();
  for (uint64_t user : {2, 3}) {
    for (TestDevice* d : devices[user]) {
      EXPECT_EQ(ChannelTexts(*d, channel), std::vector<std::string>{"breaking news"}) << "user " << user;
      EXPECT_EQ(d->core.channel_pts(channel), ChannelHead(channel).pts());
    }
  }
  EXPECT_EQ(ChannelTexts(dev(1, 1), channel), std::vector<std::string>{"breaking news"}) << "the poster's other device";
  EXPECT_TRUE(dev(1).delivered.empty()) << "the posting device has it already";
  ASSERT_EQ(dev(1).sent.size(), 1u);
  EXPECT_EQ(dev(1).sent[0].channel_id(), channel);
  for (TestDevice* d : devices[4]) EXPECT_TRUE(ChannelTexts(*d, channel).empty()) << "not a member";
  EXPECT_EQ(Head(2).last_message_id(), 0u) << "members' boxes hold no copy";
  std::set<uint32_t> partitions;
  for (uint64_t user : {1, 2, 3}) partitions.insert(c.shape().PartitionOf(user));
  EXPECT_EQ(Stat(channel, "messages.fanout_records") - records_before, static_cast<int64_t>(partitions.size()))
      << "one bus record per partition of the members";
}

TEST_F(Channels, OnlyAdminsPostInABroadcastChannelAndOnlyMembersAnywhere) {
  const uint64_t channel = Create(dev(1), true);
  ASSERT_EQ(Join(dev(2), channel), api::ERROR_NONE);
  dev(2).core.SendToChannel(channel, "me too", 1);
  dev(4).core.SendToChannel(channel, "outsider", 2);
  c.Run();
  EXPECT_EQ(dev(2).errors.back().code(), api::CHAT_ADMIN_REQUIRED);
  EXPECT_EQ(dev(4).errors.back().code(), api::CHANNEL_PRIVATE);
  EXPECT_EQ(ChannelHead(channel).pts(), 0u) << "nothing posted";
  api::ClientFrame admin;
  admin.mutable_edit_channel_admin()->set_channel_id(channel);
  admin.mutable_edit_channel_admin()->set_user_id(2);
  admin.mutable_edit_channel_admin()->set_admin(true);
  EXPECT_EQ(ErrorOf(dev(2), admin), api::CHAT_ADMIN_REQUIRED) << "only the creator names admins";
  ASSERT_TRUE(Ask(dev(1), admin).has_done());
  dev(2).core.SendToChannel(channel, "now an admin", 3);
  c.Run();
  EXPECT_EQ(ChannelTexts(dev(1, 1), channel), std::vector<std::string>{"now an admin"});
  dev(1).core.SendToChannel(424242, "nowhere", 4);
  c.Run();
  EXPECT_EQ(dev(1).errors.back().code(), api::CHANNEL_INVALID);
  EXPECT_EQ(Join(dev(3), 424242), api::CHANNEL_INVALID);
}

TEST_F(Channels, InASupergroupEveryMemberPostsAndEditsAndDeletesReachEveryone) {
  const uint64_t group = Create(dev(1), false);
  for (uint64_t user : {2, 3}) ASSERT_EQ(Join(dev(user), group), api::ERROR_NONE);
  dev(2).core.SendToChannel(group, "hello", 1);
  dev(3).core.SendToChannel(group, "hi", 2);
  c.Run();
  api::ClientFrame edit;
  edit.mutable_edit_message()->set_channel_id(group);
  edit.mutable_edit_message()->set_id(dev(2).sent[0].message_id());
  edit.mutable_edit_message()->set_text("hello all");
  EXPECT_EQ(ErrorOf(dev(3), edit), api::MESSAGE_AUTHOR_REQUIRED);
  ASSERT_TRUE(Ask(dev(2), edit).has_done());
  api::ClientFrame del;
  del.mutable_delete_messages()->set_channel_id(group);
  del.mutable_delete_messages()->add_ids(dev(3).sent[0].message_id());
  EXPECT_EQ(ErrorOf(dev(2), del), api::MESSAGE_DELETE_FORBIDDEN) << "user 2 is no admin";
  ASSERT_TRUE(Ask(dev(1), del).has_done()) << "the creator is";
  for (uint64_t user : {1, 2, 3}) {
    for (TestDevice* d : devices[user]) {
      std::map<uint64_t, std::string> own;
      for (const auto& s : d->sent) own[s.message_id()] = s.random_id() == 1 ? "hello" : "hi";
      std::map<uint64_t, std::string> view = DeviceView(*d, own, group);
      EXPECT_EQ(view[dev(2).sent[0].message_id()], "hello all") << "user " << user;
      EXPECT_EQ(view[dev(3).sent[0].message_id()], "") << "user " << user;
      EXPECT_EQ(d->core.channel_pts(group), ChannelHead(group).pts());
    }
  }
}

TEST_F(Channels, OfflineAndLateMembersCatchUpAndLeavingStopsTheFlow) {
  const uint64_t group = Create(dev(1), false);
  ASSERT_EQ(Join(dev(2), group), api::ERROR_NONE);
  for (TestDevice* d : devices[2]) c.Disconnect(*d);
  for (uint64_t i = 1; i <= 250; ++i) {
    dev(1).core.SendToChannel(group, "post " + std::to_string(i), i);
    if (i % 16 == 0) c.Run();  // within the gateway's requests in flight
  }
  c.Run();
  for (TestDevice* d : devices[2]) c.Connect(*d);
  c.Run();
  for (TestDevice* d : devices[2]) {
    EXPECT_EQ(ChannelTexts(*d, group).size(), 250u) << "caught up in slices on reconnect";
    EXPECT_EQ(d->core.channel_pts(group), 250u);
  }
  ASSERT_EQ(Join(dev(3), group), api::ERROR_NONE);
  EXPECT_EQ(ChannelTexts(dev(3, 1), group).size(), 250u) << "a new member reads the history";
  api::ClientFrame leave;
  leave.mutable_leave_channel()->set_channel_id(group);
  ASSERT_TRUE(Ask(dev(3), leave).has_done());
  dev(1).core.SendToChannel(group, "after 3 left", 999);
  c.Run();
  EXPECT_EQ(ChannelTexts(dev(3, 1), group).size(), 250u);
  EXPECT_EQ(dev(3, 1).core.channels(), 0u);
  EXPECT_EQ(ChannelTexts(dev(2), group).back(), "after 3 left");
}

// Leaving and joining again: what the devices showed before is not shown
// again (OnDelivered stays once per message); what was posted meanwhile is
// history the member now reads.
TEST_F(Channels, AMemberWhoLeavesAndRejoinsSeesEachPostOnce) {
  const uint64_t group = Create(dev(1), false);
  ASSERT_EQ(Join(dev(3), group), api::ERROR_NONE);
  for (uint64_t i = 1; i <= 3; ++i) dev(1).core.SendToChannel(group, "post " + std::to_string(i), i);
  c.Run();
  api::ClientFrame leave;
  leave.mutable_leave_channel()->set_channel_id(group);
  ASSERT_TRUE(Ask(dev(3), leave).has_done());
  dev(1).core.SendToChannel(group, "while away", 4);
  c.Run();
  ASSERT_EQ(Join(dev(3), group), api::ERROR_NONE);
  dev(1).core.SendToChannel(group, "back", 5);
  c.Run();
  for (TestDevice* d : devices[3]) {
    EXPECT_EQ(ChannelTexts(*d, group), (std::vector<std::string>{"post 1", "post 2", "post 3", "while away", "back"}));
  }
}

TEST_F(Channels, AMemberFarBehindGetsTheLatestMessagesInsteadOfEveryUpdate) {
  const uint64_t channel = Create(dev(1), true);
  ASSERT_EQ(Join(dev(2), channel), api::ERROR_NONE);
  c.Disconnect(dev(2));
  for (uint64_t i = 1; i <= kChannelTooLong + 5; ++i) {
    dev(1).core.SendToChannel(channel, "p" + std::to_string(i), i);
    if (i % 16 == 0) c.Advance(kSecond);  // within the gateway's rate and requests in flight
  }
  c.Run();
  ASSERT_EQ(ChannelHead(channel).pts(), kChannelTooLong + 5);
  const size_t before = ChannelTexts(dev(2), channel).size();
  c.Connect(dev(2));
  c.Run();
  const std::vector<std::string> got = ChannelTexts(dev(2), channel);
  EXPECT_EQ(got.size() - before, static_cast<size_t>(kTooLongMessages));
  EXPECT_EQ(got.back(), "p" + std::to_string(kChannelTooLong + 5));
  EXPECT_EQ(dev(2).core.channel_pts(channel), ChannelHead(channel).pts());
}

}  // namespace
}  // namespace msgbed::testing

namespace msgbed::testing {
namespace {

// Found by a hostile tester: retrying a CreateChannel after its creator
// left marked the creator's box as in the channel again.
TEST_F(Channels, ARetriedCreateDoesNotRejoinACreatorWhoLeft) {
  const uint64_t channel = Create(dev(1), true, 9);
  api::ClientFrame leave;
  leave.mutable_leave_channel()->set_channel_id(channel);
  ASSERT_TRUE(Ask(dev(1), leave).has_done());
  EXPECT_EQ(Create(dev(1), true, 9), channel);
  Status s;
  EXPECT_FALSE(Boxes(1).InChannel(1, channel, &s));
  EXPECT_EQ(dev(1, 1).core.channels(), 0u);
}

TEST_F(Channels, PostsAreForwardedOutOfAndIntoChannelsNamingTheirAuthorAndChannelOnce) {
  const uint64_t news = Create(dev(1), true), square = Create(dev(2), false, 2);
  ASSERT_EQ(Join(dev(2), news), api::ERROR_NONE);
  ASSERT_EQ(Join(dev(3), square), api::ERROR_NONE);
  dev(1).core.SendToChannel(news, "scoop", 1);
  c.Run();
  ASSERT_EQ(dev(1).sent.size(), 1u);
  auto forward = [](uint64_t from_channel, uint64_t id, uint64_t random_id) {
    api::ClientFrame f;
    f.mutable_forward_message()->set_from_channel_id(from_channel);
    f.mutable_forward_message()->set_id(id);
    f.mutable_forward_message()->set_random_id(random_id);
    return f;
  };
  api::ClientFrame to_friend = forward(news, dev(1).sent[0].message_id(), 7);
  to_friend.mutable_forward_message()->set_peer_user(3);
  const api::ServerFrame first = Ask(dev(2), to_friend);
  ASSERT_TRUE(first.has_sent_message()) << first.ShortDebugString();
  const api::Message got = dev(3).delivered.back();
  EXPECT_EQ(got.text(), "scoop");
  EXPECT_EQ(got.from_user(), 2u);
  EXPECT_EQ(got.fwd_from_user(), 1u);
  EXPECT_EQ(got.fwd_from_channel(), news);
  const size_t delivered = dev(3).delivered.size();
  EXPECT_EQ(Ask(dev(2), to_friend).sent_message().message_id(), first.sent_message().message_id()) << "a retry";
  EXPECT_EQ(dev(3).delivered.size(), delivered) << "stored once";
  EXPECT_EQ(ErrorOf(dev(4), to_friend), api::CHANNEL_PRIVATE) << "only members read the channel";
  EXPECT_TRUE(std::none_of(dev(2).delivered.begin(), dev(2).delivered.end(), [](const api::Message& m) {
    return m.random_id() == 7;
  })) << "the forwarding device's own copy is not a delivery";

  api::ClientFrame into_square = forward(news, dev(1).sent[0].message_id(), 8);
  into_square.mutable_forward_message()->set_channel_id(square);
  ASSERT_TRUE(Ask(dev(2), into_square).has_sent_message());
  ASSERT_TRUE(Ask(dev(2), into_square).has_sent_message()) << "a retry";
  dev(3).core.SendText(2, "psst", 9);
  c.Run();
  api::ClientFrame private_in = forward(0, dev(2).delivered.back().id(), 10);
  private_in.mutable_forward_message()->set_channel_id(square);
  ASSERT_TRUE(Ask(dev(2), private_in).has_sent_message());
  std::vector<std::pair<uint64_t, uint64_t>> seen;  // (fwd_from_user, fwd_from_channel) in the supergroup
  for (const api::Message& m : dev(3, 1).delivered) {
    if (m.channel_id() == square) seen.emplace_back(m.fwd_from_user(), m.fwd_from_channel());
  }
  const std::vector<std::pair<uint64_t, uint64_t>> want{{1, news}, {3, 0}};
  EXPECT_EQ(seen, want) << "each once, naming where it came from";

  api::ClientFrame into_news = forward(0, dev(2).delivered.back().id(), 11);
  into_news.mutable_forward_message()->set_channel_id(news);
  const uint64_t news_pts = ChannelHead(news).pts();
  EXPECT_EQ(ErrorOf(dev(2), into_news), api::CHAT_ADMIN_REQUIRED) << "posting rights as for a post";
  EXPECT_EQ(ChannelHead(news).pts(), news_pts);
  EXPECT_EQ(ErrorOf(dev(2), forward(news, 4242, 12)), api::PEER_ID_INVALID) << "no destination";
  api::ClientFrame unknown = forward(news, 4242, 13);
  unknown.mutable_forward_message()->set_peer_user(3);
  EXPECT_EQ(ErrorOf(dev(2), unknown), api::MESSAGE_ID_INVALID);

  // Found by a hostile tester: a retry after the source was edited, deleted
  // or left was refused although the first attempt's copy stands.
  api::ClientFrame edit;
  edit.mutable_edit_message()->set_channel_id(news);
  edit.mutable_edit_message()->set_id(dev(1).sent[0].message_id());
  edit.mutable_edit_message()->set_text("scoop, corrected");
  ASSERT_TRUE(Ask(dev(1), edit).has_done());
  EXPECT_EQ(Ask(dev(2), to_friend).sent_message().message_id(), first.sent_message().message_id());
  const uint64_t square_pts = ChannelHead(square).pts();
  api::ClientFrame leave;
  leave.mutable_leave_channel()->set_channel_id(news);
  ASSERT_TRUE(Ask(dev(2), leave).has_done());
  EXPECT_TRUE(Ask(dev(2), into_square).has_sent_message());
  EXPECT_EQ(ChannelHead(square).pts(), square_pts) << "stored once";
  api::ClientFrame reused = forward(0, dev(2).delivered.back().id(), 9);  // psst's random_id was user 3's
  reused.mutable_forward_message()->set_peer_user(4);
  ASSERT_TRUE(Ask(dev(2), reused).has_sent_message()) << "random_ids are the sender's own";
  reused.mutable_forward_message()->set_peer_user(1);
  EXPECT_EQ(ErrorOf(dev(2), reused), api::RANDOM_ID_DUPLICATE) << "the same random_id to another chat";
}

TEST_F(Channels, ReadingASupergroupTellsItsMembersHowFarOthersPostsWereReadAndABroadcastChannelKeepsNoMarks) {
  const uint64_t group = Create(dev(1), false);
  for (uint64_t user : {2, 3}) ASSERT_EQ(Join(dev(user), group), api::ERROR_NONE);
  dev(1).core.SendToChannel(group, "first", 1);
  c.Run();
  dev(2).core.SendToChannel(group, "second", 2);
  c.Run();
  const uint64_t first = dev(1).sent[0].message_id(), second = dev(2).sent[0].message_id();
  auto read = [](uint64_t channel, uint64_t max_id) {
    api::ClientFrame f;
    f.mutable_read_history()->set_channel_id(channel);
    f.mutable_read_history()->set_max_id(max_id);
    return f;
  };
  auto marks = [group](const TestDevice& d) {
    std::vector<uint64_t> out;
    for (const api::Update& u : d.box_updates) {
      if (u.kind() == api::Update::READ_OUTBOX && u.channel_id() == group) out.push_back(u.max_id());
    }
    return out;
  };
  ASSERT_TRUE(Ask(dev(2), read(group, second)).has_done());
  EXPECT_EQ(marks(dev(1, 1)), std::vector<uint64_t>{first}) << "user 2 read up to its own post: user 1's is read";
  ASSERT_TRUE(Ask(dev(3), read(group, second)).has_done());
  const uint64_t pts = ChannelHead(group).pts();
  ASSERT_TRUE(Ask(dev(3), read(group, second)).has_done()) << "a retry";
  EXPECT_EQ(ChannelHead(group).pts(), pts) << "the mark only moves forward";
  for (TestDevice* d : {&dev(1, 1), &dev(2), &dev(2, 1), &dev(3, 1)}) {
    EXPECT_EQ(marks(*d), (std::vector<uint64_t>{first, second})) << "every member device, once each";
  }

  const uint64_t news = Create(dev(1), true, 3);
  ASSERT_EQ(Join(dev(2), news), api::ERROR_NONE);
  dev(1).core.SendToChannel(news, "headline", 4);
  c.Run();
  const uint64_t news_pts = ChannelHead(news).pts();
  ASSERT_TRUE(Ask(dev(2), read(news, dev(1).sent.back().message_id())).has_done());
  EXPECT_EQ(ChannelHead(news).pts(), news_pts);
}

// Found by a hostile tester: a read mark for a channel the user is not in
// was written into its box.
TEST_F(Channels, ReadingAChannelOneIsNotInIsRefused) {
  const uint64_t channel = Create(dev(1), true);
  api::ClientFrame read;
  read.mutable_read_history()->set_channel_id(channel);
  read.mutable_read_history()->set_max_id(UINT64_MAX);
  const uint64_t before = Head(2).pts();
  EXPECT_EQ(ErrorOf(dev(2), read), api::CHANNEL_PRIVATE);
  EXPECT_EQ(Head(2).pts(), before);
  ASSERT_EQ(Join(dev(2), channel), api::ERROR_NONE);
  EXPECT_TRUE(Ask(dev(2), read).has_done());
}

// Found by a hostile tester: a crash of the channel's owner right after a
// post lost its fan-out (nothing else tells an online member). Until its
// fan-out has settled, a restart sends it again; devices drop the copy.
TEST_F(Channels, ARestartedOwnerSendsAnUnsettledFanOutAgain) {
  const uint64_t channel = Create(dev(1), true);
  ASSERT_EQ(Join(dev(2), channel), api::ERROR_NONE);
  dev(1).core.SendToChannel(channel, "just before the crash", 1);
  c.Run();
  const Address owner = ChannelOwner(c.shape(), channel);
  const int64_t records = c.host(owner).Stats().Get("messages.fanout_records");
  c.Restart(owner);
  c.Run();
  EXPECT_EQ(c.host(owner).Stats().Get("messages.fanouts_resumed"), 1);
  EXPECT_GT(c.host(owner).Stats().Get("messages.fanout_records"), records) << "the fan-out went on the bus again";
  EXPECT_EQ(ChannelTexts(dev(2), channel), std::vector<std::string>{"just before the crash"}) << "shown once";
  dev(1).core.SendToChannel(channel, "settled", 2);
  c.Run();
  c.Advance(kFanoutSettle);
  c.Restart(owner);
  c.Run();
  EXPECT_EQ(c.host(owner).Stats().Get("messages.fanouts_resumed"), 1) << "nothing unsettled the second time";
  EXPECT_EQ(ChannelTexts(dev(2), channel), (std::vector<std::string>{"just before the crash", "settled"}));
}

// Found by a hostile tester: 100 long messages made a too_long answer
// larger than a frame, and the member never caught up.
TEST_F(Channels, ATooLongAnswerFitsAFrameWhateverTheMessages) {
  const uint64_t channel = Create(dev(1), true);
  ASSERT_EQ(Join(dev(2), channel), api::ERROR_NONE);
  c.Disconnect(dev(2));
  std::string han;
  for (int i = 0; i < 4096; ++i) han += "\xe6\xb1\x89";  // 12 KiB of UTF-8
  for (uint64_t i = 1; i <= 101; ++i) {
    dev(1).core.SendToChannel(channel, han, i);
    if (i % 16 == 0) c.Advance(kSecond);
  }
  c.Advance(kSecond);
  api::ClientFrame edit;
  edit.mutable_edit_message()->set_channel_id(channel);
  edit.mutable_edit_message()->set_id(1);
  for (uint64_t i = 0; i < kChannelTooLong; ++i) {
    edit.mutable_edit_message()->set_text("edit " + std::to_string(i));
    dev(1).core.Request(edit);
    if (i % 16 == 0) c.Advance(kSecond);
  }
  c.Advance(kSecond);
  ASSERT_GT(ChannelHead(channel).pts(), kChannelTooLong + 100);
  c.Connect(dev(2));
  c.Run();
  EXPECT_EQ(dev(2).core.channel_pts(channel), ChannelHead(channel).pts());
  for (const auto& f : dev(2).frames) EXPECT_LT(f.ByteSizeLong(), kMaxDifferenceBytes + 64 * 1024);
}

}  // namespace
}  // namespace msgbed::testing
