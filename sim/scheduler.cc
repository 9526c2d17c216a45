#include "scheduler.h"

#include <algorithm>

#include "node.h"

namespace msgbed::sim {

namespace s4u = simgrid::s4u;

Scheduler::Scheduler() : mutex_(s4u::Mutex::create()), bulk_done_(s4u::ConditionVariable::create()) {}

void Scheduler::WakeAt(double at, Node* n) { queue_.push(Entry{at, seq_++, n}); }

void Scheduler::BulkEnded() {
  --bulk_;
  bulk_done_->notify_one();
}

void Scheduler::WaitForBulk(double at) {
  std::unique_lock<s4u::Mutex> lock(*mutex_);
  bulk_done_->wait_until(lock, at);
}

void Scheduler::Run(double end) {
  for (;;) {
    const double next = queue_.empty() ? end : std::min(queue_.top().at, end);
    // A flow in flight may end before the next event and post work then.
    if (bulk_ > 0 && s4u::Engine::get_clock() < next) {
      WaitForBulk(next);
      continue;
    }
    if (queue_.empty() || queue_.top().at > end) break;
    const Entry e = queue_.top();
    queue_.pop();
    now_ = std::max(now_, e.at);
    e.node->Wake(e.at);
    if (progress_ && ++wakeups_ % progress_every_ == 0) progress_(now_);
  }
  now_ = end;
  if (s4u::Engine::get_clock() < end) s4u::this_actor::sleep_until(end);
}

}  // namespace msgbed::sim
