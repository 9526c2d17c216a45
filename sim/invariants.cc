#include "invariants.h"

#include <map>
#include <set>

#include "messages/box_store.h"
#include "messages/placement.h"
#include "population.h"
#include "service_node.h"
#include "world.h"

namespace msgbed::sim {

namespace {

constexpr size_t kMaxExamples = 5;
using MessageKey = std::pair<uint64_t, uint64_t>;  // (sender, random_id)

// Every update of user's box, in pts order.
std::vector<api::UpdateNewMessage> ReadBox(const World& w, uint64_t user) {
  BoxStore boxes(&w.FindService(BoxOwner(w.shape, user))->store());
  std::vector<api::UpdateNewMessage> all, page;
  do {
    page.clear();
    if (!boxes.ReadAfter(user, all.empty() ? 0 : all.back().pts(), 1000, &page).ok()) break;
    all.insert(all.end(), page.begin(), page.end());
  } while (!page.empty());
  return all;
}

void Note(InvariantReport& r, const std::string& what) {
  if (r.examples.size() < kMaxExamples) r.examples.push_back(what);
}

std::string Describe(const MessageKey& k) {
  return "message " + std::to_string(k.second) + " from user " + std::to_string(k.first);
}

// The messages of one chat in one box, in box order: (box owner, other side) -> keys.
using Chats = std::map<std::pair<uint64_t, uint64_t>, std::vector<MessageKey>>;

void CheckChats(const Chats& chats, const std::vector<std::set<MessageKey>>& in_box, InvariantReport& r) {
  for (const auto& [owners, mine] : chats) {
    const auto [u, other] = owners;
    for (const MessageKey& k : mine) {
      if (in_box[other].contains(k)) continue;
      ++r.one_sided;
      if (r.settled)
        Note(r,
             Describe(k) + " is in user " + std::to_string(u) + "'s box, not in user " + std::to_string(other) + "'s");
    }
    // What u sent to other: in u's box in the order u sent it, and so in
    // other's box too. (Messages crossing each other may sit in either
    // order: each box shows its owner's message first, as Telegram does.)
    auto it = chats.find({other, u});
    if (it == chats.end()) continue;
    std::vector<MessageKey> sent, received;
    for (const MessageKey& k : mine) {
      if (k.first == u && in_box[other].contains(k)) sent.push_back(k);
    }
    for (const MessageKey& k : it->second) {
      if (k.first == u && in_box[u].contains(k)) received.push_back(k);
    }
    if (sent == received) continue;
    ++r.chat_order_differs;
    Note(r, "user " + std::to_string(u) + "'s messages to user " + std::to_string(other) +
                " are in another order in the receiver's box");
  }
}

}  // namespace

InvariantReport CheckInvariants(const World& w, bool settled) {
  InvariantReport r;
  r.settled = settled;
  r.foreign_deliveries = w.recorder.foreign();
  r.out_of_order = w.recorder.out_of_order();
  const uint64_t users = w.scenario.workload.users;
  std::vector<std::set<MessageKey>> in_box(users + 1);
  Chats chats;
  for (uint64_t u = 1; u <= users; ++u) {
    for (const api::UpdateNewMessage& update : ReadBox(w, u)) {
      const api::Message& m = update.message();
      const MessageKey k{m.from_user(), m.random_id()};
      if (!in_box[u].insert(k).second) {
        ++r.duplicated;
        Note(r, Describe(k) + " is twice in user " + std::to_string(u) + "'s box");
      }
      chats[{u, m.from_user() == u ? m.peer_user() : m.from_user()}].push_back(k);
    }
  }
  for (uint64_t random_id : w.recorder.acked_ids()) {
    const auto [from, peer] = w.recorder.ChatOf(random_id);
    if (in_box[from].contains({from, random_id}) && in_box[peer].contains({from, random_id})) continue;
    ++r.acked_lost;
    if (settled) Note(r, Describe({from, random_id}) + " was acknowledged but is missing from a box");
  }
  CheckChats(chats, in_box, r);
  for (const Population* pop : w.populations) {
    for (const auto& d : pop->devices()) {
      if (d->away) continue;  // offline between sessions: catches up when back
      const uint64_t user = d->core.user();
      storage::BoxHead head;
      BoxStore boxes(&w.FindService(BoxOwner(w.shape, user))->store());
      const uint64_t box_pts = boxes.Head(user, &head).ok() ? head.pts() : 0;
      if (d->core.pts() == box_pts) continue;
      ++r.devices_behind;
      if (settled)
        Note(r, "user " + std::to_string(user) + " device " + std::to_string(d->core.device()) + " ends at pts " +
                    std::to_string(d->core.pts()) + ", its box at " + std::to_string(box_pts));
    }
  }
  return r;
}

}  // namespace msgbed::sim
