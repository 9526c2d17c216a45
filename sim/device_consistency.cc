#include "device_consistency.h"

#include <algorithm>
#include <limits>
#include <vector>

#include "messages/box_store.h"
#include "messages/placement.h"
#include "population.h"
#include "service_node.h"

namespace msgbed::sim {
namespace {

// Of the updates in user's box past the device's pts, the deliveries that
// would have been send_to_delivered samples (Recorder::OwedSample).
uint64_t OwedSamples(const World& w, BoxStore& boxes, const Population::SimDevice& d) {
  std::vector<api::Update> owed;
  if (!boxes.ReadAfter(d.user, d.core.pts(), std::numeric_limits<uint32_t>::max(), &owed).ok()) return 0;
  uint64_t n = 0;
  for (const api::Update& u : owed) {
    n += u.kind() == api::Update::NEW_MESSAGE &&
         w.recorder.OwedSample(u.message().random_id(), d.base_conn, d.connected_at);
  }
  return n;
}

// The users whose boxes a message sent to peer lands in: the sender's and
// the peer's, or every member of a basic group.
std::vector<uint64_t> BoxesOf(const World& w, uint64_t from, uint64_t peer) {
  if (!w.IsGroup(peer)) return {from, peer};
  const auto k = static_cast<uint64_t>(std::find(w.groups.begin(), w.groups.end(), peer) - w.groups.begin());
  std::vector<uint64_t> members;
  for (uint64_t i = 0; i < w.group_layout.Size(k); ++i) members.push_back(w.group_layout.FirstMember(k) + i);
  return members;
}

// Deliveries owed to devices online at send time, of unanswered messages
// that never reached their box (its instance down): unfinished latency
// samples that no box shows, so OwedSamples cannot see them.
uint64_t StrandedSamples(const World& w) {
  std::vector<const Population::SimDevice*> by_index(w.users.devices());
  for (const Population* pop : w.populations) {
    for (const auto& d : pop->devices()) by_index[d->base_conn - 1] = d.get();
  }
  uint64_t n = 0;
  w.recorder.ForEachUnansweredMeasured([&](uint64_t random_id, double at, uint64_t sender) {
    const auto [from, peer] = w.recorder.ChatOf(random_id);
    for (uint64_t user : BoxesOf(w, from, peer)) {
      BoxStore boxes(&w.FindService(BoxOwner(w.shape, user))->store());
      Status s;
      if (boxes.FindCopy(user, from, random_id, &s) != 0 || !s.ok()) continue;
      for (uint64_t i = w.users.first_device[user - 1]; i < w.users.first_device[user]; ++i) {
        const Population::SimDevice* d = by_index[i];
        n += d != nullptr && !d->away && d->base_conn != sender && Recorder::Online(at, d->connected_at);
      }
    }
  });
  return n;
}

}  // namespace

Consistency CheckDevices(const World& w) {
  Consistency c;
  for (const Population* pop : w.populations) {
    for (const auto& d : pop->devices()) {
      BoxStore boxes(&w.FindService(BoxOwner(w.shape, d->user))->store());
      storage::BoxHead head;
      const uint64_t box_pts = boxes.Head(d->user, &head).ok() ? head.pts() : 0;
      ++c.devices;
      const uint64_t expected = box_pts - d->sends_accepted;
      const uint64_t short_by = expected > d->delivered ? expected - d->delivered : 0;
      c.expected += expected;
      c.delivered += d->delivered;
      c.held_unsent += d->held.size();
      if (d->away) c.held_by_away += d->held.size();
      // A device away between sessions gets what it is short of when back.
      (d->away ? c.owed_to_away : c.missing) += short_by;
      if (d->away) continue;
      if (short_by > 0) c.owed_samples += OwedSamples(w, boxes, *d);
      c.extra += d->delivered > expected ? d->delivered - expected : 0;
      c.in_sync += d->core.pts() == box_pts ? 1 : 0;
      c.duplicates_ignored += d->core.duplicates_ignored();
      c.retries += d->core.retries();
      c.quiet_resyncs += d->core.quiet_resyncs();
    }
  }
  c.owed_samples += StrandedSamples(w);
  return c;
}

}  // namespace msgbed::sim
