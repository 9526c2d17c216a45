#include "messages/box_store.h"

#include <gtest/gtest.h>

#include "core/mem_kv_store.h"

namespace msgbed {
namespace {

api::Message Msg(uint64_t from, uint64_t peer, uint64_t random_id) {
  api::Message m;
  m.set_from_user(from);
  m.set_peer_user(peer);
  m.set_random_id(random_id);
  m.set_text("hi");
  return m;
}

// Appends m to user's box in a change of its own.
api::Update Add(BoxStore& boxes, uint64_t user, const api::Message& m) {
  BoxStore::Change c;
  EXPECT_TRUE(boxes.Begin(user, &c).ok());
  api::Update u = c.AddMessage(m);
  EXPECT_TRUE(boxes.Commit(&c).ok());
  return u;
}

TEST(BoxStore, UpdatesAreGapFreeAndOnlyMessagesTakeIds) {
  MemKvStore kv;
  BoxStore boxes(&kv);
  BoxStore::Change c;
  ASSERT_TRUE(boxes.Begin(10, &c).ok());
  EXPECT_EQ(c.AddMessage(Msg(10, 20, 1)).message().id(), 1u);
  storage::StoredMessage was;
  *was.mutable_message() = c.updates()[0].message();
  was.set_pts(1);
  api::Message edited = was.message();
  edited.set_text("hi!");
  EXPECT_EQ(c.Edit(was, edited).pts(), 2u);
  EXPECT_EQ(c.Read(api::Update::READ_INBOX, {20, 0}, 1).pts(), 3u);
  const api::Update& second = c.AddMessage(Msg(10, 20, 2));
  EXPECT_EQ(second.pts(), 4u);
  EXPECT_EQ(second.message().id(), 2u) << "ids count messages, pts counts updates";
  storage::BoxHead head;
  ASSERT_TRUE(boxes.Head(10, &head).ok());
  EXPECT_EQ(head.pts(), 0u) << "nothing is visible before Commit";
  ASSERT_TRUE(boxes.Commit(&c).ok());
  ASSERT_TRUE(boxes.Head(10, &head).ok());
  EXPECT_EQ(head.pts(), 4u);
  Status s;
  auto m1 = boxes.FindMessage(10, 1, &s);
  ASSERT_TRUE(m1.has_value());
  EXPECT_EQ(m1->message().text(), "hi!") << "the stored message reads as edited";
  EXPECT_EQ(m1->pts(), 1u) << "and still knows the pts that added it";
}

TEST(BoxStore, DeletedMessagesKeepTheirIdButNotTheirText) {
  MemKvStore kv;
  BoxStore boxes(&kv);
  const api::Update u = Add(boxes, 20, Msg(10, 10, 7));
  BoxStore::Change c;
  ASSERT_TRUE(boxes.Begin(20, &c).ok());
  storage::StoredMessage was;
  *was.mutable_message() = u.message();
  const api::Update& d = c.Delete({was});
  EXPECT_EQ(d.kind(), api::Update::DELETE_MESSAGES);
  ASSERT_EQ(d.deleted_ids_size(), 1);
  EXPECT_EQ(d.deleted_ids(0), u.message().id());
  ASSERT_TRUE(boxes.Commit(&c).ok());
  Status s;
  auto m = boxes.FindMessage(20, u.message().id(), &s);
  ASSERT_TRUE(m.has_value());
  EXPECT_TRUE(m->deleted());
  EXPECT_TRUE(m->message().text().empty());
}

TEST(BoxStore, CopiesAreFoundBySenderAndRandomId) {
  MemKvStore kv;
  BoxStore boxes(&kv);
  const api::Update u = Add(boxes, 20, Msg(10, 10, 7));
  Status s;
  EXPECT_EQ(boxes.FindCopy(20, 10, 7, &s), u.message().id());
  EXPECT_EQ(boxes.FindCopy(20, 11, 7, &s), 0u) << "another sender's random_id 7 is another message";
  BoxStore::Change c;
  ASSERT_TRUE(boxes.Begin(10, &c).ok());
  storage::SendRecord r;
  r.mutable_result()->set_random_id(7);
  r.mutable_result()->set_message_id(42);
  c.PutSend(r);
  ASSERT_TRUE(boxes.Commit(&c).ok());
  EXPECT_EQ(boxes.FindCopy(10, 10, 7, &s), 42u) << "the sender's own copy comes from its send record";
}

TEST(BoxStore, IncomingBetweenListsOneChatsMessagesFromOthers) {
  MemKvStore kv;
  BoxStore boxes(&kv);
  for (uint64_t i = 1; i <= 4; ++i) {
    api::Message m = Msg(10, 10, i);
    m.set_origin_id(100 + i);
    Add(boxes, 20, m);                    // ids 1, 3, 5, 7: from 10
    Add(boxes, 20, Msg(20, 10, 50 + i));  // ids 2, 4, 6, 8: 20's own
  }
  Add(boxes, 20, Msg(11, 11, 1));  // another chat
  std::vector<IncomingMessage> in;
  ASSERT_TRUE(boxes.IncomingBetween(20, {10, 0}, 1, 6, &in).ok());
  ASSERT_EQ(in.size(), 2u);
  EXPECT_EQ(in[0].id, 3u);
  EXPECT_EQ(in[1].id, 5u);
  EXPECT_EQ(in[1].from, 10u);
  EXPECT_EQ(in[1].origin_id, 103u);
  ASSERT_TRUE(boxes.IncomingBetween(20, {10, 0}, 0, UINT64_MAX, &in).ok());
  EXPECT_EQ(in.size(), 4u);
}

TEST(BoxStore, EachOutboxKeepsItsOrderAndSurvivesInTheStore) {
  MemKvStore kv;
  BoxStore boxes(&kv);
  BoxStore::Change c;
  ASSERT_TRUE(boxes.Begin(10, &c).ok());
  for (uint64_t i = 1; i <= 3; ++i) {
    storage::BoxOp op;
    op.mutable_message()->set_random_id(i);
    c.Queue(20, op);
    c.Queue(30, op);
  }
  EXPECT_EQ(c.queued_to(), (std::vector<uint64_t>{20, 30}));
  ASSERT_TRUE(boxes.Commit(&c).ok());
  std::vector<std::pair<uint64_t, uint64_t>> outboxes;
  ASSERT_TRUE(boxes.OutboxesWithOps(&outboxes).ok());
  EXPECT_EQ(outboxes, (std::vector<std::pair<uint64_t, uint64_t>>{{10, 20}, {10, 30}}));
  for (uint64_t i = 1; i <= 3; ++i) {
    Status s;
    auto op = boxes.OldestOp(10, 20, &s);
    ASSERT_TRUE(op.has_value());
    EXPECT_EQ(op->second.message().random_id(), i);
    ASSERT_TRUE(boxes.DoneOp(10, 20, op->first).ok());
  }
  Status s;
  EXPECT_FALSE(boxes.OldestOp(10, 20, &s).has_value());
  EXPECT_TRUE(boxes.OldestOp(10, 30, &s).has_value()) << "the other outbox is untouched";
}

TEST(BoxStore, ReadAfterReturnsOneBoxInPtsOrder) {
  MemKvStore kv;
  BoxStore boxes(&kv);
  for (uint64_t i = 1; i <= 5; ++i) {
    Add(boxes, 1, Msg(1, 2, i));
    Add(boxes, 2, Msg(2, 1, i));
  }
  std::vector<api::Update> out;
  ASSERT_TRUE(boxes.ReadAfter(1, 2, 2, &out).ok());
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].pts(), 3u);
  EXPECT_EQ(out[1].pts(), 4u);
  for (const auto& x : out) EXPECT_EQ(x.message().from_user(), 1u);
  ASSERT_TRUE(boxes.ReadAfter(1, 5, 10, &out).ok());
  EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace msgbed
