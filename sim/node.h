// Node: a timed inbox. Everything that happens to a simulated service
// instance, broker or client population is an item in its inbox, due at a
// simulated time. The Scheduler wakes the node when the earliest item is
// due and a worker is free; it hands every due item
// in turn to the worker that frees up first, charges it its CPU on its
// host's cores (HostCpu) and its storage I/O after that, and sends what it
// produced when its own work is done. A node is thus a FIFO queue with c
// servers (c = its workers, 1 unless set), exactly while its host has a
// free core for each busy worker. Items due at the same time run in the
// order they were posted.
//
// Thread rule: SimGrid runs actors one at a time on one OS thread, so Post
// and Transmit may be called from any actor (the scheduler's, a bulk
// flow's) without locking.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <simgrid/s4u.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "host_cpu.h"
#include "host_disk.h"
#include "quad_heap.h"

namespace msgbed::sim {

class World;

// CPU costs are given in seconds on a reference core of this speed.
inline constexpr double kReferenceFlops = 1e9;

// Where a node runs: its SimGrid host, that host's cores, and its vertex in
// the topology graph. REQUIRES: cpu outlives the nodes placed on it.
struct Placement {
  simgrid::s4u::Host* host;
  HostCpu* cpu;
  size_t endpoint;
  HostDisk* disk = nullptr;  // none: storage I/O is a flat wait
};

class Node {
 public:
  Node(World* world, std::string name, const Placement& at);
  virtual ~Node() = default;
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  // Worker threads serving the inbox (a service's thread pool).
  // REQUIRES: workers >= 1, before anything is posted.
  void SetWorkers(int workers) { free_at_.assign(workers, 0.0); }
  // From the Scheduler: the wake-up asked for `at`. Runs the due items
  // unless the node has since asked for another time.
  void Wake(double at);

  // Queues fn to run here at simulated time `at` (>= now), charging `cpu`
  // reference-core seconds. Never traced: self-scheduled work (timers, the
  // workload generator) is not caused by the message that scheduled it.
  void Post(double at, double cpu, std::function<void()> fn);
  // Runs fn here at `at` (>= now) at no CPU cost, as a continuation of the
  // running item: traced if it is (a producer's linger).
  void Defer(double at, std::function<void()> fn) { PostItem(at, 0, std::move(fn), tracing_); }

  // Sends `bytes` from this node to dst, to run fn there with `cpu`. Inside
  // this node's batch the message leaves when the batch's work is done;
  // `delay` holds it back further (producer batching). `label` names the
  // message in traces (needed only while tracing()); it must outlive the
  // run (a literal, a proto name).
  void Transmit(Node& dst, std::string_view label, size_t bytes, double cpu, std::function<void()> fn,
                double delay = 0);

  // As Transmit, as a bulk flow: a SimGrid Comm along the topology's links
  // (sim/simulation.cc builds them), sharing their bandwidth max-min with
  // the other bulk flows, apart from the light transport (which it neither
  // waits for nor delays) and in no order with anything.
  void TransmitBulk(Node& dst, std::string_view label, size_t bytes, double cpu, std::function<void()> fn);

  // Whether what the running item sends now is part of the traced message
  // (recorded in World::tracer, with what it causes).
  bool tracing() const { return tracing_; }
  // Runs fn traced (part of the traced message) or not, whatever the rest
  // of the running item is: one item may handle several messages (a
  // batch of bus records, held sends going out together). A template: it
  // runs for every message, and a std::function would allocate.
  template <typename Fn>
  void WithTracing(bool on, Fn&& fn) {
    const bool was = tracing_;
    tracing_ = on;
    traced_item_ |= on;
    fn();
    tracing_ = was;
  }

  // A storage operation of the running item, `seconds` long, done after
  // its CPU: queued on the host's disk if it has one, else a plain wait.
  void ChargeIo(double seconds) { io_.push_back(seconds); }
  HostDisk* disk() const { return disk_; }

  // Admission control, from inside a running item. Waiting: the items
  // ahead of it still waiting for a worker. Shed: the running item takes
  // no worker (it was refused); what it sends leaves at once.
  size_t Waiting();
  void Shed() { shed_ = true; }

  const std::string& name() const { return name_; }
  simgrid::s4u::Host* host() const { return host_; }
  double busy_flops() const { return busy_flops_; }
  // Seconds its workers were busy (CPU and storage I/O) up to `until`:
  // work handed to a worker that runs past it counts only up to it (a
  // worker's queued work runs back to back, so the excess is exact).
  double busy_seconds(double until) const {
    double beyond = 0;
    for (double f : free_at_) beyond += std::max(0.0, f - until);
    return busy_seconds_ - beyond;
  }
  const HostCpu* cpu() const { return cpu_; }
  int workers() const { return static_cast<int>(free_at_.size()); }
  // Messages (and their continuations) in its inbox: arriving, or arrived
  // and waiting for a worker. Timers do not count.
  size_t work_queued() const { return work_items_; }

 protected:
  World* world_;

 private:
  // The inbox is a heap of small entries (a 24-byte key per item, the
  // closures aside in a slab): a node may hold hundreds of thousands of
  // timers, and a heap of whole items misses the cache at every level.
  struct Due {
    double at;
    uint64_t seq;
    uint32_t slot;  // in tasks_
  };
  struct Earlier {
    bool operator()(const Due& a, const Due& b) const { return a.at != b.at ? a.at < b.at : a.seq < b.seq; }
  };
  struct Task {
    double cpu;
    std::function<void()> fn;
    bool traced;
    bool work;
  };
  struct Item {
    double at;
    Task task;
  };
  struct Outgoing {
    Node* dst;
    std::string_view label;
    size_t bytes;
    double cpu;
    double delay;
    std::function<void()> fn;
    bool traced;
    bool bulk = false;
  };
  // `work`: a message or its continuation, not a timer.
  void PostItem(double at, double cpu, std::function<void()> fn, bool traced, bool work = true);
  // Asks the scheduler to wake it when the earliest item is due and a
  // worker is free, if that is earlier than the wake-up it has.
  void Reschedule();
  // Puts o on the wire, leaving at `at` (now or later): books its route.
  void Depart(Outgoing o, double at);
  void RunBatch();
  // Sends the outbox, the messages leaving at `depart`.
  void Flush(double depart);
  // Carries o as a Comm leaving at `depart`, in an actor of its own.
  void SendBulk(Outgoing o, double depart);

  const std::string name_;
  simgrid::s4u::Host* const host_;
  const size_t endpoint_;
  HostCpu* const cpu_;
  HostDisk* const disk_;
  QuadHeap<Due, Earlier> inbox_;
  std::vector<Task> tasks_;           // what each inbox entry runs, by slot
  std::vector<uint32_t> free_slots_;  // slots of tasks_ not in use
  std::vector<Item> batch_;           // the due items of the running wake-up
  std::vector<Outgoing> outbox_;
  bool in_batch_ = false;
  bool shed_ = false;
  bool tracing_ = false;      // the running item is traced
  std::vector<double> io_;    // the running item's storage operations
  bool traced_item_ = false;  // some of the running item's work was traced
  double busy_flops_ = 0;
  double busy_seconds_ = 0;
  size_t work_items_ = 0;
  std::vector<double> free_at_ = {0.0};  // when each worker is done with its work
  std::deque<double> starts_;            // when items handed to a worker start, those after now
  double busy_until_ = 0;                // the first worker is free then
  double wake_at_ = -1;                  // the wake-up asked for; -1: none
  bool running_ = false;                 // inside Wake
};

// The disks of the hosts the nodes run on, by host name (hosts without a
// disk model have none).
std::map<std::string, const HostDisk*> DisksOf(const std::vector<const Node*>& nodes);

}  // namespace msgbed::sim
