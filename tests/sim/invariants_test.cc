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

InvariantReport Check(const std::vector<BoxEntry>& boxes, const std::vector<AckedMessage>& acked = {}) {
  InvariantReport r;
  CheckBoxes(boxes, acked, &r);
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
  CheckBoxes(boxes, {{1, 2, 12}}, &unsettled);
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

}  // namespace
}  // namespace msgbed::sim
