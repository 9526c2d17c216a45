#include "node.h"

#include <algorithm>

#include "world.h"

namespace msgbed::sim {

namespace s4u = simgrid::s4u;

// Items due within this much of now count as due: wait_until may wake a
// hair early in floating point.
constexpr double kTimeEpsilon = 1e-12;

Node::Node(World* world, std::string name, const Placement& at)
    : world_(world), name_(std::move(name)), host_(at.host), endpoint_(at.endpoint), cpu_(at.cpu), disk_(at.disk) {}

void Node::Post(double at, double cpu, std::function<void()> fn) {
  PostItem(at, cpu, std::move(fn), false, /*work=*/false);
}

void Node::PostItem(double at, double cpu, std::function<void()> fn, bool traced, bool work) {
  work_items_ += work;
  if (free_slots_.empty()) {
    free_slots_.push_back(static_cast<uint32_t>(tasks_.size()));
    tasks_.emplace_back();
  }
  const uint32_t slot = free_slots_.back();
  free_slots_.pop_back();
  tasks_[slot] = Task{cpu, std::move(fn), traced, work};
  inbox_.push(Due{at, world_->NextSeq(), slot});
  if (!running_) Reschedule();
}

void Node::Reschedule() {
  if (inbox_.empty()) return;
  const double due = std::max({inbox_.top().at, busy_until_, world_->Now()});
  if (wake_at_ >= 0 && wake_at_ <= due) return;
  wake_at_ = due;
  world_->sched.WakeAt(due, this);
}

void Node::Wake(double at) {
  if (at != wake_at_) return;  // superseded by an earlier wake-up
  wake_at_ = -1;
  running_ = true;
  RunBatch();
  running_ = false;
  Reschedule();
}

void Node::Transmit(Node& dst, std::string_view label, size_t bytes, double cpu, std::function<void()> fn,
                    double delay) {
  outbox_.push_back(Outgoing{&dst, label, bytes, cpu, delay, std::move(fn), tracing_});
  if (!in_batch_) Flush(std::max(world_->Now(), busy_until_));
}

void Node::TransmitBulk(Node& dst, std::string_view label, size_t bytes, double cpu, std::function<void()> fn) {
  outbox_.push_back(Outgoing{&dst, label, bytes, cpu, 0, std::move(fn), tracing_, true});
  if (!in_batch_) Flush(std::max(world_->Now(), busy_until_));
}

void Node::SendBulk(Outgoing o, double depart) {
  if (o.dst->host_ == host_) return o.dst->PostItem(depart, o.cpu, std::move(o.fn), o.traced);
  auto flow = std::make_shared<Outgoing>(std::move(o));
  world_->sched.BulkStarted();
  s4u::Actor::create("bulk", host_, [this, flow, depart] {
    s4u::Actor::self()->daemonize();
    s4u::this_actor::sleep_until(depart);
    s4u::Comm::sendto(host_, flow->dst->host_, flow->bytes + kWireOverheadBytes);
    const double at = s4u::Engine::get_clock();
    if (flow->traced) world_->tracer.Hop(depart, at, name_, flow->dst->name_, flow->label, flow->bytes);
    flow->dst->PostItem(at, flow->cpu, std::move(flow->fn), flow->traced);
    world_->sched.BulkEnded();
  });
}

void Node::Flush(double depart) {
  for (Outgoing& o : outbox_) {
    if (o.bulk) {
      SendBulk(std::move(o), depart);
      continue;
    }
    if (o.delay > 0) {
      // Held back here, then sent: a held message must not occupy the link.
      const bool traced = o.traced;
      PostItem(
          depart + o.delay, 0,
          [this, o = std::move(o)]() mutable { Transmit(*o.dst, o.label, o.bytes, o.cpu, std::move(o.fn)); }, traced);
      continue;
    }
    Depart(std::move(o), depart);
  }
  outbox_.clear();
}

// An output that leaves later (when a busy node's work is done) is booked
// on the links at once; each link serves in departure order
// (LinkSchedule), so it holds up no message that leaves before it.
void Node::Depart(Outgoing o, double at) {
  const double arrival =
      world_->net.Arrival(endpoint_, o.dst->endpoint_, o.bytes + kWireOverheadBytes, at, world_->Now());
  if (o.traced) world_->tracer.Hop(at, arrival, name_, o.dst->name_, o.label, o.bytes);
  o.dst->PostItem(arrival, o.cpu, std::move(o.fn), o.traced);
}

void Node::RunBatch() {
  const double now = world_->Now();
  Waiting();                          // forgets starts now past, so starts_ holds only the backlog
  std::vector<Item>& batch = batch_;  // reused: no allocation per wake-up
  batch.clear();
  while (!inbox_.empty() && inbox_.top().at <= now + kTimeEpsilon) {
    const Due due = inbox_.pop();
    batch.push_back(Item{due.at, std::move(tasks_[due.slot])});
    tasks_[due.slot].fn = nullptr;
    free_slots_.push_back(due.slot);
    work_items_ -= batch.back().task.work;
  }
  // Each item, in order, goes to the worker that frees up first (FIFO with
  // c servers); its output leaves when its own work (CPU, then storage
  // I/O) is done, not when the batch's is.
  for (Item& item : batch) {
    const Task& task = item.task;
    in_batch_ = true;
    tracing_ = task.traced;
    task.fn();
    const bool traced = tracing_ || traced_item_;
    tracing_ = traced_item_ = false;
    in_batch_ = false;
    if (shed_) {
      shed_ = false;
      io_.clear();
      Flush(now);
      continue;
    }
    auto worker = std::min_element(free_at_.begin(), free_at_.end());
    const double start = std::max(now, *worker);
    double done = start;
    if (task.cpu > 0) {
      const double flops = task.cpu * kReferenceFlops;
      done = cpu_->Run(now, start, flops);
      busy_flops_ += flops;
    }
    for (double op : io_) done = disk_ ? disk_->Run(now, done, op) : done + op;
    io_.clear();
    busy_seconds_ += done - start;
    if (start > now) starts_.push_back(start);  // FIFO: starts never decrease
    *worker = done;
    if (traced && task.work) world_->tracer.Work(name_, item.at, start, done);
    Flush(done);
  }
  batch.clear();  // the closures may hold state: release it now
  busy_until_ = *std::min_element(free_at_.begin(), free_at_.end());
}

size_t Node::Waiting() {
  const double now = world_->Now();
  while (!starts_.empty() && starts_.front() <= now + kTimeEpsilon) starts_.pop_front();
  return starts_.size();
}

std::map<std::string, const HostDisk*> DisksOf(const std::vector<const Node*>& nodes) {
  std::map<std::string, const HostDisk*> disks;
  for (const Node* n : nodes) {
    if (n->disk() != nullptr) disks[n->host()->get_name()] = n->disk();
  }
  return disks;
}

}  // namespace msgbed::sim
