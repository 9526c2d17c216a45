// QuadHeap: a min-heap with four children per node, in one vector. A pop
// walks half the levels of a binary heap, and a node's children sit side
// by side (one or two cache lines of small keys), so on a heap far larger
// than the cache it misses about half as often. Pops come in the same
// order as from any heap when Before is a strict total order.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

namespace msgbed::sim {

template <typename T, typename Before>
class QuadHeap {
 public:
  bool empty() const { return v_.empty(); }
  size_t size() const { return v_.size(); }
  // The first element. REQUIRES: !empty().
  const T& top() const { return v_.front(); }

  void push(T x) {
    size_t i = v_.size();
    v_.push_back(x);
    while (i > 0) {
      const size_t parent = (i - 1) / 4;
      if (!before_(x, v_[parent])) break;
      v_[i] = std::move(v_[parent]);
      i = parent;
    }
    v_[i] = std::move(x);
  }

  // Removes and returns the first element. REQUIRES: !empty().
  T pop() {
    T first = std::move(v_.front());
    T last = std::move(v_.back());
    v_.pop_back();
    if (!v_.empty()) SiftDown(std::move(last));
    return first;
  }

 private:
  // Puts x in the hole at the root, moving earlier children up.
  void SiftDown(T x) {
    const size_t n = v_.size();
    size_t i = 0;
    for (;;) {
      const size_t first_child = 4 * i + 1;
      if (first_child >= n) break;
      const size_t end = first_child + 4 < n ? first_child + 4 : n;
      size_t best = first_child;
      for (size_t c = first_child + 1; c < end; ++c) {
        if (before_(v_[c], v_[best])) best = c;
      }
      if (!before_(v_[best], x)) break;
      v_[i] = std::move(v_[best]);
      i = best;
    }
    v_[i] = std::move(x);
  }

  std::vector<T> v_;
  [[no_unique_address]] Before before_;
};

}  // namespace msgbed::sim
