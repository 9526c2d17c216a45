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

TEST(BoxStore, OutgoingAppendsAreGapFreeAndRecorded) {
  MemKvStore kv;
  BoxStore boxes(&kv);
  api::UpdateNewMessage u;
  storage::SendRecord rec;
  for (uint64_t i = 1; i <= 3; ++i) {
    ASSERT_TRUE(boxes.AppendOutgoing(10, Msg(10, 20, 100 + i), &u, &rec).ok());
    EXPECT_EQ(u.pts(), i);
    EXPECT_EQ(u.message().id(), i);
    EXPECT_EQ(rec.peer_box(), 20u);
    EXPECT_FALSE(rec.peer_done());
  }
  Status s;
  auto found = boxes.FindSend(10, 102, &s);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->result().pts(), 2u);
  EXPECT_FALSE(boxes.FindSend(10, 999, &s).has_value());
}

TEST(BoxStore, IncomingIsIdempotentBySenderAndRandomId) {
  MemKvStore kv;
  BoxStore boxes(&kv);
  api::UpdateNewMessage u;
  bool appended = false;
  ASSERT_TRUE(boxes.AppendIncoming(20, Msg(10, 10, 7), &u, &appended).ok());
  EXPECT_TRUE(appended);
  ASSERT_TRUE(boxes.AppendIncoming(20, Msg(10, 10, 7), &u, &appended).ok());
  EXPECT_FALSE(appended);
  ASSERT_TRUE(boxes.AppendIncoming(20, Msg(11, 11, 7), &u, &appended).ok());
  EXPECT_TRUE(appended);
  storage::BoxHead head;
  ASSERT_TRUE(boxes.Head(20, &head).ok());
  EXPECT_EQ(head.pts(), 2u);
}

TEST(BoxStore, ReadAfterReturnsOneBoxInPtsOrder) {
  MemKvStore kv;
  BoxStore boxes(&kv);
  api::UpdateNewMessage u;
  storage::SendRecord rec;
  for (uint64_t i = 1; i <= 5; ++i) {
    ASSERT_TRUE(boxes.AppendOutgoing(1, Msg(1, 2, i), &u, &rec).ok());
    ASSERT_TRUE(boxes.AppendOutgoing(2, Msg(2, 1, i), &u, &rec).ok());
  }
  std::vector<api::UpdateNewMessage> out;
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
