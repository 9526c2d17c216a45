// Scheduler: the simulation's event loop. Every Node asks to be woken at a
// simulated time (when its earliest item is due and a worker is free); the
// scheduler wakes them one at a time in (time, request order), advancing
// the simulated clock itself. It runs inside one SimGrid actor and makes no
// simcall per event: the light transport, the queues and the cores are
// all the run's own (sim/node.h, sim/network.h, sim/host_cpu.h), so waking
// a node costs a heap pop instead of two context switches and a mutex.
//
// SimGrid keeps the bulk flows (Node::TransmitBulk), which share link
// bandwidth in its max-min solver. While any is in flight the scheduler
// advances SimGrid's clock with each event (a wait on a condition variable
// that a finishing flow signals), so a flow that ends before the next event
// is handled first. With none in flight SimGrid's clock is left behind and
// catches up at the next flow or at the end.
#pragma once

#include <cstdint>
#include <functional>
#include <queue>
#include <simgrid/s4u.hpp>
#include <vector>

namespace msgbed::sim {

class Node;

class Scheduler {
 public:
  Scheduler();

  // The simulated time of the event being handled.
  double Now() const { return now_; }
  // Asks for n->Wake(at). REQUIRES: at >= Now(). A node may ask several times;
  // it ignores wake-ups it no longer wants (Node::Wake).
  void WakeAt(double at, Node* n);
  // Runs every wake-up due by `end`, then advances SimGrid's clock to end.
  // Call from the one actor that drives the run.
  void Run(double end);

  // Called with the simulated time every `every` wake-ups (a progress
  // line; it must not change the run).
  void OnProgress(uint64_t every, std::function<void(double)> fn) {
    progress_every_ = every;
    progress_ = std::move(fn);
  }

  // A bulk flow began / handed its data over (SimGrid time).
  void BulkStarted() { ++bulk_; }
  void BulkEnded();

 private:
  struct Entry {
    double at;
    uint64_t seq;
    Node* node;
    bool operator>(const Entry& o) const { return at != o.at ? at > o.at : seq > o.seq; }
  };
  // Waits in SimGrid time until `at` or until a bulk flow ends.
  void WaitForBulk(double at);

  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> queue_;
  uint64_t seq_ = 0;
  double now_ = 0;
  int bulk_ = 0;
  uint64_t wakeups_ = 0, progress_every_ = 0;
  std::function<void(double)> progress_;
  simgrid::s4u::MutexPtr mutex_;
  simgrid::s4u::ConditionVariablePtr bulk_done_;
};

}  // namespace msgbed::sim
