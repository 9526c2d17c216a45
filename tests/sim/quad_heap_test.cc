#include "quad_heap.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <queue>
#include <random>
#include <utility>
#include <vector>

namespace msgbed::sim {
namespace {

using Key = std::pair<double, uint64_t>;  // a time and a unique sequence number, as a node's inbox
struct Before {
  bool operator()(const Key& a, const Key& b) const { return a < b; }
};

// Pushes and pops interleaved at random, with many equal times: every pop
// is the one std::priority_queue gives, at every size.
TEST(QuadHeap, PopsInTheOrderOfABinaryHeap) {
  QuadHeap<Key, Before> heap;
  std::priority_queue<Key, std::vector<Key>, std::greater<>> ref;
  std::mt19937_64 rng(5);
  uint64_t seq = 0;
  for (int step = 0; step < 200000; ++step) {
    if (ref.empty() || rng() % 5 < 3) {
      const Key k{static_cast<double>(rng() % 50), seq++};
      heap.push(k);
      ref.push(k);
    } else {
      ASSERT_EQ(heap.top(), ref.top()) << step;
      ASSERT_EQ(heap.pop(), ref.top()) << step;
      ref.pop();
    }
    ASSERT_EQ(heap.size(), ref.size());
  }
  while (!ref.empty()) {
    ASSERT_EQ(heap.pop(), ref.top());
    ref.pop();
  }
  EXPECT_TRUE(heap.empty());
}

}  // namespace
}  // namespace msgbed::sim
