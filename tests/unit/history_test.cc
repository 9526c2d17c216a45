// History pages (GetHistory), retention, and the store format migration
// that indexes every message by chat, through the real cores.
#include <gtest/gtest.h>

#include "messages/store_format.h"
#include "unit/chat_cluster.h"

namespace msgbed::testing {
namespace {

api::ClientFrame HistoryAsk(const ChatKey& chat, uint64_t offset_id, int32_t add_offset, uint32_t limit,
                            uint64_t min_id = 0, uint64_t max_id = 0) {
  api::ClientFrame f;
  api::GetHistory* h = f.mutable_get_history();
  h->set_peer_user(chat.peer_user);
  h->set_chat_id(chat.chat_id);
  h->set_channel_id(chat.channel_id);
  h->set_offset_id(offset_id);
  h->set_add_offset(add_offset);
  h->set_limit(limit);
  h->set_min_id(min_id);
  h->set_max_id(max_id);
  return f;
}

struct History : Groups {
  using Groups::Groups;

  // A page: its messages, newest first.
  std::vector<api::Message> Page(TestDevice& d, const api::ClientFrame& ask) {
    const api::ServerFrame answer = Ask(d, ask);
    EXPECT_TRUE(answer.has_history()) << answer.ShortDebugString();
    return {answer.history().messages().begin(), answer.history().messages().end()};
  }
  std::vector<std::string> PageTexts(TestDevice& d, const api::ClientFrame& ask) {
    std::vector<std::string> texts;
    for (const api::Message& m : Page(d, ask)) texts.push_back(m.text());
    return texts;
  }
  // Every message of chat as d's user reads it, paging back 7 at a time: texts, newest first.
  std::vector<std::string> PagedBack(TestDevice& d, const ChatKey& chat) {
    std::vector<std::string> all;
    for (uint64_t offset = 0;;) {
      const std::vector<api::Message> page = Page(d, HistoryAsk(chat, offset, 0, 7));
      if (page.empty()) return all;
      for (const api::Message& m : page) all.push_back(m.text());
      offset = page.back().id();
    }
  }
  void Send(uint64_t from, uint64_t to, const std::string& text) {
    dev(from).core.SendText(to, text, ++random_id);
    c.Run();
  }
  static std::vector<std::string> Numbered(int from, int to) {  // "m<from>" .. "m<to>", either way
    std::vector<std::string> out;
    for (int i = from;; i += from <= to ? 1 : -1) {
      out.push_back("m" + std::to_string(i));
      if (i == to) return out;
    }
  }
  uint64_t random_id = 1000;
};

// Users 1 and 2 wrote m1..m30 to each other (every third by user 2), and
// user 1 wrote twice to user 3 in between.
struct PrivateChat : History {
  void SetUp() override {
    History::SetUp();
    for (int i = 1; i <= 30; ++i) {
      Send(i % 3 == 0 ? 2 : 1, i % 3 == 0 ? 1 : 2, "m" + std::to_string(i));
      if (i == 10 || i == 20) Send(1, 3, "elsewhere");
    }
  }
  // Id of text in user's box.
  uint64_t IdOf(uint64_t user, const std::string& text) {
    for (const api::Message& m : Page(dev(user), HistoryAsk(ChatKey{user == 1 ? 2u : 1u}, 0, 0, 100))) {
      if (m.text() == text) return m.id();
    }
    ADD_FAILURE() << text << " not in the history of " << user;
    return 0;
  }
};

TEST_F(PrivateChat, PagingBackReadsTheWholeChatNewestFirstBothSidesAlike) {
  EXPECT_EQ(PagedBack(dev(1), {2}), Numbered(30, 1)) << "own messages and the peer's, no other chat's";
  EXPECT_EQ(PagedBack(dev(2), {1}), Numbered(30, 1)) << "the peer's box, in its own ids";
  EXPECT_EQ(PagedBack(dev(3), {1}), (std::vector<std::string>{"elsewhere", "elsewhere"}));
}

TEST_F(PrivateChat, PagingForwardAndAroundAMessageFollowAddOffset) {
  const uint64_t m1 = IdOf(1, "m1"), m8 = IdOf(1, "m8"), m15 = IdOf(1, "m15");
  EXPECT_EQ(PageTexts(dev(1), HistoryAsk({2}, m1, -7, 7)), Numbered(7, 1)) << "from offset_id on, newest first";
  EXPECT_EQ(PageTexts(dev(1), HistoryAsk({2}, m8, -7, 7)), Numbered(14, 8)) << "the next page forward";
  EXPECT_EQ(PageTexts(dev(1), HistoryAsk({2}, m15, -3, 6)), Numbered(17, 12)) << "three on each side";
  EXPECT_EQ(PageTexts(dev(1), HistoryAsk({2}, m15, 2, 3)), Numbered(12, 10)) << "skipping two back";
  EXPECT_EQ(PageTexts(dev(1), HistoryAsk({2}, m15, -16, 5)), Numbered(30, 26)) << "the newest";
  EXPECT_EQ(PageTexts(dev(1), HistoryAsk({2}, m15, -20, 5)), (std::vector<std::string>{"m30"}))
      << "positions past the newest are not there";
  EXPECT_TRUE(PageTexts(dev(1), HistoryAsk({2}, m1, 0, 5)).empty()) << "nothing before the first";
  EXPECT_EQ(PageTexts(dev(1), HistoryAsk({2}, 0, 0, 5, m8, m15)), Numbered(14, 10)) << "min_id < id < max_id";
}

TEST_F(PrivateChat, DeletedMessagesLeaveTheHistoryOfTheBoxesTheyLeft) {
  api::ClientFrame del;
  del.mutable_delete_messages()->add_ids(IdOf(1, "m10"));  // for user 1 only
  del.mutable_delete_messages()->add_ids(IdOf(1, "m20"));
  ASSERT_TRUE(Ask(dev(1), del).has_done());
  api::ClientFrame revoke;
  revoke.mutable_delete_messages()->add_ids(IdOf(1, "m5"));  // for everyone
  revoke.mutable_delete_messages()->set_revoke(true);
  ASSERT_TRUE(Ask(dev(1), revoke).has_done());
  std::vector<std::string> want = Numbered(30, 1);
  std::erase(want, "m5");
  EXPECT_EQ(PagedBack(dev(2), {1}), want);
  std::erase(want, "m10");
  std::erase(want, "m20");
  EXPECT_EQ(PagedBack(dev(1), {2}), want);
  EXPECT_EQ(PageTexts(dev(1), HistoryAsk({2}, IdOf(1, "m11"), 0, 2)), (std::vector<std::string>{"m9", "m8"}))
      << "positions count only what is left";
}

TEST_F(PrivateChat, BadRequestsAreRefusedAndLimitsBounded) {
  EXPECT_EQ(ErrorOf(dev(1), HistoryAsk({}, 0, 0, 5)), api::PEER_ID_INVALID);
  EXPECT_EQ(ErrorOf(dev(1), HistoryAsk({2, 7}, 0, 0, 5)), api::PEER_AMBIGUOUS);
  EXPECT_EQ(ErrorOf(dev(1), HistoryAsk({2}, 0, kMaxHistoryOffset + 1, 5)), api::OFFSET_INVALID);
  EXPECT_EQ(ErrorOf(dev(1), HistoryAsk({2}, 0, -kMaxHistoryOffset - 1, 5)), api::OFFSET_INVALID);
  EXPECT_EQ(PageTexts(dev(1), HistoryAsk({2}, 0, kMaxHistoryOffset, 5)).size(), 0u);
  EXPECT_EQ(PageTexts(dev(1), HistoryAsk({2}, 0, 0, 0)).size(), kDefaultHistoryLimit);
  for (int i = 31; i <= 130; ++i) Send(1, 2, "m" + std::to_string(i));
  EXPECT_EQ(PageTexts(dev(1), HistoryAsk({2}, 0, 0, 1000)), Numbered(130, 31)) << "at most 100";
  EXPECT_TRUE(PageTexts(dev(1), HistoryAsk({4}, 0, 0, 5)).empty()) << "a chat never written to";
}

TEST_F(History, APageFitsAFrameKeepingTheMessagesNearestTheOffset) {
  std::string wide;  // 4,093 characters of 4 bytes: with "40:", the longest text there is
  for (int i = 0; i < 4093; ++i) wide += "\xF0\x9F\x98\x80";
  for (int i = 1; i <= 40; ++i) Send(1, 2, std::to_string(i) + ":" + wide);
  const std::vector<api::Message> page = Page(dev(1), HistoryAsk({2}, 0, 0, 100));
  size_t bytes = 0;
  for (const auto& m : page) bytes += m.ByteSizeLong();
  EXPECT_LE(bytes, kMaxDifferenceBytes);
  ASSERT_GE(page.size(), 20u);
  EXPECT_LT(page.size(), 40u);
  EXPECT_EQ(page.front().text().substr(0, 3), "40:") << "the newest are kept when paging back";
}

TEST_F(History, GroupsAndChannelsPageAlikeAndOnlyMembersReadAChannel) {
  const uint64_t chat = CreateGroup(dev(1), {2, 3});
  for (int i = 1; i <= 9; ++i) {
    dev(1 + i % 3).core.SendToChat(chat, "m" + std::to_string(i), ++random_id);
    c.Run();
  }
  std::vector<std::string> want = Numbered(9, 1);
  want.push_back("friends");  // the creation
  EXPECT_EQ(PagedBack(dev(2), {0, chat}), want);

  api::ClientFrame create;
  create.mutable_create_channel()->set_title("town square");
  create.mutable_create_channel()->set_random_id(5);
  const uint64_t channel = Ask(dev(1), create).channel().id();
  api::ClientFrame join;
  join.mutable_join_channel()->set_channel_id(channel);
  ASSERT_EQ(ErrorOf(dev(2), join), api::ERROR_NONE);
  for (int i = 1; i <= 9; ++i) {
    dev(1 + i % 2).core.SendToChannel(channel, "m" + std::to_string(i), ++random_id);
    c.Run();
  }
  EXPECT_EQ(PagedBack(dev(2), {0, 0, channel}), Numbered(9, 1));
  EXPECT_EQ(PagedBack(dev(1), {0, 0, channel}), Numbered(9, 1));
  EXPECT_EQ(ErrorOf(dev(3), HistoryAsk({0, 0, channel}, 0, 0, 5)), api::CHANNEL_PRIVATE);
}

// Messages expire after a minute; the sweep runs every 10 s.
struct Retention : History {
  Retention() : History({{"messages", {{"retention", 60}, {"retention_sweep", 10}}}}) {}
};

TEST_F(Retention, OldMessagesLeaveEveryBoxAndADeviceBehindThemStartsAgain) {
  const uint64_t chat = CreateGroup(dev(1), {2});
  Send(1, 2, "old 1");
  Send(2, 1, "old 2");
  dev(1).core.SendToChat(chat, "old in group", ++random_id);
  c.Run();
  c.Advance(40 * kSecond);
  Send(1, 2, "new");
  c.Advance(35 * kSecond);  // the old ones are 75 s old, "new" 35 s

  EXPECT_EQ(PagedBack(dev(1), {2}), (std::vector<std::string>{"new"}));
  EXPECT_EQ(PagedBack(dev(2), {1}), (std::vector<std::string>{"new"}));
  EXPECT_TRUE(PagedBack(dev(2), {0, chat}).empty());
  EXPECT_GT(c.host(BoxOwner(c.shape(), 2)).Stats().Get("messages.expired"), 0);
  const storage::BoxHead head = Head(2);
  EXPECT_GT(head.expired_pts(), 0u);
  std::vector<api::Update> left;
  ASSERT_TRUE(Boxes(2).ReadAfter(2, 0, 100, &left).ok());
  ASSERT_FALSE(left.empty());
  EXPECT_EQ(left.front().pts(), head.expired_pts() + 1) << "the updates before went with them";

  // A device that was away: its pts is before what is left.
  TestDevice& late = c.AddDevice(2, 9);
  c.Connect(late);
  c.Run();
  EXPECT_EQ(late.core.too_long_resets(), 1u);
  EXPECT_EQ(late.core.pts(), Head(2).pts());
  Send(1, 2, "after");
  ASSERT_FALSE(late.delivered.empty());
  EXPECT_EQ(late.delivered.back().text(), "after");
  for (TestDevice* d : devices[2]) EXPECT_EQ(d->core.too_long_resets(), 0u) << "devices that kept up keep up";
}

TEST_F(Retention, ChannelPostsExpireAndAMemberBehindThemStartsAgain) {
  api::ClientFrame create;
  create.mutable_create_channel()->set_title("news");
  create.mutable_create_channel()->set_random_id(5);
  const uint64_t channel = Ask(dev(1), create).channel().id();
  dev(1).core.SendToChannel(channel, "old post", ++random_id);
  c.Run();
  c.Advance(40 * kSecond);
  dev(1).core.SendToChannel(channel, "new post", ++random_id);
  c.Run();
  c.Advance(35 * kSecond);
  EXPECT_EQ(PagedBack(dev(1), {0, 0, channel}), (std::vector<std::string>{"new post"}));
  storage::BoxHead head;
  ASSERT_TRUE(BoxStore(&c.substrate(ChannelOwner(c.shape(), channel)).Store(), 'C').Head(channel, &head).ok());
  EXPECT_GT(head.expired_pts(), 0u);

  api::ClientFrame diff;
  diff.mutable_get_channel_difference()->set_channel_id(channel);
  const api::ServerFrame answer = Ask(dev(1), diff);
  EXPECT_TRUE(answer.channel_difference().too_long()) << answer.ShortDebugString();
  ASSERT_EQ(answer.channel_difference().messages_size(), 1);
  EXPECT_EQ(answer.channel_difference().messages(0).text(), "new post");
}

// Found by a hostile tester: a box that went back (its store lost without
// a store tier) left its devices ahead of it, and they took its next
// updates for ones they had: nothing new was shown again.
TEST_F(History, ADeviceAheadOfItsBoxStartsAgainAtTheBoxsPts) {
  Send(1, 2, "one");
  Send(1, 2, "two");
  const uint64_t had = dev(2).core.pts();
  ASSERT_EQ(had, 2u);
  const Address owner = BoxOwner(c.shape(), 2);
  c.Disconnect(dev(2));
  c.Crash(owner);
  c.substrate(owner).kv_ = MemKvStore();
  c.Start(owner);
  c.Run();
  c.Connect(dev(2));
  c.Run();
  EXPECT_EQ(dev(2).core.pts(), 0u) << "the box's pts";
  EXPECT_EQ(dev(2).core.rewinds(), 1u);
  Send(1, 2, "three");
  ASSERT_FALSE(dev(2).delivered.empty());
  EXPECT_EQ(dev(2).delivered.back().text(), "three") << "shown, not taken for one it had";
}

// A store written before the chat index listed a box's own messages (and
// while it listed deleted ones) is migrated when its instance starts.
TEST_F(History, AnOlderStoreIsMigratedAtStartAndANewerOneIsNotServed) {
  Send(1, 2, "a");
  Send(1, 2, "b");
  Send(2, 1, "c");
  const Address owner = BoxOwner(c.shape(), 1);
  KvStore& raw = c.substrate(owner).Store();
  // Back to format 1: no format key, no 'c' entries of own messages.
  KvStore::Entries index;
  ASSERT_TRUE(raw.Scan("c", "d", SIZE_MAX, &index).ok());
  WriteBatch old;
  old.Delete("~format");
  for (const auto& [k, v] : index) {
    if (v.substr(0, 8) == std::string(7, '\0') + '\1') old.Delete(k);  // written by user 1
  }
  ASSERT_TRUE(raw.Write(old).ok());
  ASSERT_EQ(PagedBack(dev(1), {2}), (std::vector<std::string>{"c"})) << "what format 1 lists";

  c.Crash(owner);
  c.Start(owner);
  c.Run();
  EXPECT_EQ(PagedBack(dev(1), {2}), (std::vector<std::string>{"c", "b", "a"}));
  Status s;
  EXPECT_EQ(raw.Get("~format", &s).value_or(""), std::to_string(kMessagesStoreFormat));

  WriteBatch newer;
  newer.Put("~format", std::to_string(kMessagesStoreFormat + 1));
  ASSERT_TRUE(raw.Write(newer).ok());
  c.Crash(owner);
  c.Start(owner);
  c.Run();
  const uint64_t id = dev(1).core.Request(HistoryAsk({2}, 0, 0, 5));
  c.Run();
  for (const auto& f : dev(1).frames) EXPECT_NE(f.request_id(), id) << "answered from a store it cannot read";
  EXPECT_GT(c.host(owner).Stats().Get("messages.store_unusable"), 0);
}

}  // namespace
}  // namespace msgbed::testing
