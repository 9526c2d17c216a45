// The box invariants catch what they are for. A simulated run that holds
// them shows only that nothing was caught; these feed boxes with each
// violation and check it is counted and described.
#include "sim/invariants.h"

#include <gtest/gtest.h>

namespace msgbed::sim {
namespace {

// User 1 sent 11 then 12 to user 2; user 2 sent 21 to user 1. Both boxes
// hold all three, each in its owner's order.
std::vector<BoxEntry> HealthyBoxes() {
  return {{1, 2, 1, 11}, {1, 2, 1, 12}, {1, 2, 2, 21}, {2, 1, 1, 11}, {2, 1, 2, 21}, {2, 1, 1, 12}};
}

InvariantReport Check(const std::vector<BoxEntry>& boxes, const std::vector<AckedMessage>& acked = {},
                      const GroupMembers& groups = {}) {
  InvariantReport r;
  CheckBoxes(boxes, acked, groups, &r);
  return r;
}

TEST(Invariants, HealthyBoxesBreakNothing) {
  const InvariantReport r = Check(HealthyBoxes(), {{1, 2, 11}, {1, 2, 12}, {2, 1, 21}});
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.examples.empty());
}

TEST(Invariants, ASecondCopyInOneBoxIsDuplicated) {
  auto boxes = HealthyBoxes();
  boxes.insert(boxes.begin() + 2, {1, 2, 1, 11});
  const InvariantReport r = Check(boxes);
  EXPECT_EQ(r.duplicated, 1u);
  ASSERT_FALSE(r.examples.empty());
  EXPECT_EQ(r.examples[0], "message 11 from user 1 is twice in user 1's box");
  EXPECT_EQ(r.chat_order_differs, 1u) << "user 1's box shows 11, 11, 12; user 2's 11, 12";
  EXPECT_FALSE(r.ok());
}

TEST(Invariants, AMessageInOneBoxOnlyIsOneSided) {
  auto boxes = HealthyBoxes();
  boxes.pop_back();  // user 2 never got 12
  const InvariantReport r = Check(boxes, {{1, 2, 12}});
  EXPECT_EQ(r.one_sided, 1u);
  EXPECT_EQ(r.acked_lost, 1u);
  EXPECT_EQ(r.chat_order_differs, 0u) << "12 is missing, not misordered";
  EXPECT_FALSE(r.ok());
  InvariantReport unsettled;
  unsettled.settled = false;  // 12 may still be on its way
  CheckBoxes(boxes, {{1, 2, 12}}, {}, &unsettled);
  EXPECT_TRUE(unsettled.ok());
  EXPECT_TRUE(unsettled.examples.empty());
}

TEST(Invariants, MessagesOfOneSenderInAnotherOrderDiffer) {
  auto boxes = HealthyBoxes();
  std::swap(boxes[3], boxes[5]);  // user 2's box: 12 before 11
  const InvariantReport r = Check(boxes);
  EXPECT_EQ(r.chat_order_differs, 1u) << "user 1's chat with user 2";
  EXPECT_EQ(r.one_sided, 0u);
  EXPECT_FALSE(r.ok());
}

TEST(Invariants, CrossingMessagesMaySitInEitherOrder) {
  auto boxes = HealthyBoxes();
  std::swap(boxes[4], boxes[5]);  // user 2's box: 11, 12, 21 (21 crossed 12)
  EXPECT_TRUE(Check(boxes).ok());
}

// Basic group 100 of users 1, 2 and 3: user 1 sent 11 then 12, user 2
// sent 21. Each member's box holds all three, each sender's in its order;
// different senders' messages may interleave differently.
const GroupMembers kGroup = {{100, {1, 2, 3}}};
std::vector<BoxEntry> GroupBoxes() {
  return {{1, 100, 1, 11}, {1, 100, 1, 12}, {1, 100, 2, 21}, {2, 100, 2, 21}, {2, 100, 1, 11},
          {2, 100, 1, 12}, {3, 100, 1, 11}, {3, 100, 2, 21}, {3, 100, 1, 12}};
}
const std::vector<AckedMessage> kGroupAcked = {{1, 100, 11}, {1, 100, 12}, {2, 100, 21}};

TEST(Invariants, GroupMessagesInEveryMembersBoxBreakNothing) {
  const InvariantReport r = Check(GroupBoxes(), kGroupAcked, kGroup);
  EXPECT_TRUE(r.ok()) << (r.examples.empty() ? "" : r.examples[0]);
}

TEST(Invariants, AGroupMessageMissingFromOneMembersBoxIsOneSidedAndLost) {
  auto boxes = GroupBoxes();
  boxes.erase(boxes.begin() + 8);  // user 3 never got 12
  const InvariantReport r = Check(boxes, kGroupAcked, kGroup);
  EXPECT_EQ(r.one_sided, 1u);
  EXPECT_EQ(r.acked_lost, 1u);
  EXPECT_EQ(r.chat_order_differs, 0u);
  ASSERT_FALSE(r.examples.empty());
  EXPECT_EQ(r.examples[0], "message 12 from user 1 is in 2 of group 100's 3 members' boxes");
}

TEST(Invariants, OneSendersGroupMessagesInAnotherOrderDiffer) {
  auto boxes = GroupBoxes();
  std::swap(boxes[6], boxes[8]);  // user 3's box: 12 before 11
  const InvariantReport r = Check(boxes, kGroupAcked, kGroup);
  EXPECT_EQ(r.chat_order_differs, 1u);
  ASSERT_FALSE(r.examples.empty());
  EXPECT_EQ(r.examples[0], "user 1's messages to group 100 are in another order in user 3's box");
}

}  // namespace
}  // namespace msgbed::sim
