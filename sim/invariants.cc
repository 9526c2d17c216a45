#include "invariants.h"

#include <algorithm>
#include <array>
#include <tuple>
#include <utility>

#include "messages/box_store.h"
#include "messages/placement.h"
#include "population.h"
#include "service_node.h"
#include "world.h"

namespace msgbed::sim {

namespace {

constexpr size_t kMaxExamples = 5;
using Triple = std::array<uint64_t, 3>;  // (box owner, sender, random_id)

// Every update of user's box, in pts order.
std::vector<api::Update> ReadBox(const World& w, uint64_t user) {
  BoxStore boxes(&w.FindService(BoxOwner(w.shape, user))->store());
  std::vector<api::Update> all, page;
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

std::string Describe(uint64_t from, uint64_t random_id) {
  return "message " + std::to_string(random_id) + " from user " + std::to_string(from);
}

// The messages every box holds, sorted: a lookup is a binary search.
class Present {
 public:
  explicit Present(const std::vector<BoxEntry>& entries) {
    all_.reserve(entries.size());
    for (const BoxEntry& e : entries) all_.push_back({e.owner, e.from, e.random_id});
    std::sort(all_.begin(), all_.end());
  }
  bool Has(uint64_t owner, uint64_t from, uint64_t random_id) const {
    return std::binary_search(all_.begin(), all_.end(), Triple{owner, from, random_id});
  }

 private:
  std::vector<Triple> all_;
};

// The second and later copies of a message in one box, in box order.
void CheckDuplicates(const std::vector<BoxEntry>& entries, InvariantReport& r) {
  std::vector<std::pair<Triple, size_t>> box;
  std::vector<size_t> copies;
  for (size_t begin = 0, end; begin < entries.size(); begin = end) {
    for (end = begin; end < entries.size() && entries[end].owner == entries[begin].owner;) ++end;
    box.clear();
    for (size_t i = begin; i < end; ++i) box.push_back({{entries[i].from, entries[i].random_id, 0}, i});
    std::sort(box.begin(), box.end());
    copies.clear();
    for (size_t i = 1; i < box.size(); ++i) {
      if (box[i].first == box[i - 1].first) copies.push_back(box[i].second);
    }
    std::sort(copies.begin(), copies.end());
    for (size_t i : copies) {
      ++r.duplicated;
      Note(r, Describe(entries[i].from, entries[i].random_id) + " is twice in user " +
                  std::to_string(entries[i].owner) + "'s box");
    }
  }
}

// Private chats (groups are checked by CheckGroups), each in each box: in the other side's box too, and what one side
// sent in the same order in both boxes. (Messages crossing each other may
// sit in either order: each box shows its owner's message first, as
// Telegram does.)
void CheckChats(const std::vector<BoxEntry>& entries, const GroupMembers& groups, const Present& present,
                InvariantReport& r) {
  // Entries by (owner, other), box order kept within a chat.
  std::vector<const BoxEntry*> chats;
  chats.reserve(entries.size());
  for (const BoxEntry& e : entries) {
    if (!groups.contains(e.other)) chats.push_back(&e);
  }
  auto by_chat = [](const BoxEntry* a, const BoxEntry* b) {
    return std::tie(a->owner, a->other) < std::tie(b->owner, b->other);
  };
  std::stable_sort(chats.begin(), chats.end(), by_chat);
  std::vector<std::pair<uint64_t, uint64_t>> sent, received;
  for (auto begin = chats.begin(), end = begin; begin != chats.end(); begin = end) {
    end = std::upper_bound(begin, chats.end(), *begin, by_chat);
    const uint64_t u = (*begin)->owner, other = (*begin)->other;
    for (auto it = begin; it != end; ++it) {
      if (present.Has(other, (*it)->from, (*it)->random_id)) continue;
      ++r.one_sided;
      if (r.settled)
        Note(r, Describe((*it)->from, (*it)->random_id) + " is in user " + std::to_string(u) + "'s box, not in user " +
                    std::to_string(other) + "'s");
    }
    const BoxEntry mirror{other, u, 0, 0};
    auto [from, to] = std::equal_range(chats.begin(), chats.end(), &mirror, by_chat);
    if (from == to) continue;
    sent.clear();
    received.clear();
    for (auto it = begin; it != end; ++it) {
      if ((*it)->from == u && present.Has(other, u, (*it)->random_id)) sent.emplace_back(u, (*it)->random_id);
    }
    for (auto it = from; it != to; ++it) {
      if ((*it)->from == u && present.Has(u, u, (*it)->random_id)) received.emplace_back(u, (*it)->random_id);
    }
    if (sent == received) continue;
    ++r.chat_order_differs;
    Note(r, "user " + std::to_string(u) + "'s messages to user " + std::to_string(other) +
                " are in another order in the receiver's box");
  }
}

using Message = std::pair<uint64_t, uint64_t>;  // (sender, random_id)
using Rows = std::vector<const BoxEntry*>::const_iterator;

// One group's member boxes (rows by member, box order kept): each sender's
// messages held by every member in one order in all of them. Different
// senders' messages may interleave differently: each member's box takes
// each sender's in turn.
void CheckGroupOrder(Rows begin, Rows end, const std::vector<Message>& everywhere, InvariantReport& r) {
  std::vector<Message> first, seq;
  for (Rows box = begin, next; box != end; box = next) {
    next = std::find_if(box, end, [&](const BoxEntry* e) { return e->owner != (*box)->owner; });
    seq.clear();
    for (Rows it = box; it != next; ++it) {
      const Message m{(*it)->from, (*it)->random_id};
      if (std::binary_search(everywhere.begin(), everywhere.end(), m)) seq.push_back(m);
    }
    std::stable_sort(seq.begin(), seq.end(), [](const Message& a, const Message& b) { return a.first < b.first; });
    if (box == begin) first = seq;
    const auto differs = std::mismatch(first.begin(), first.end(), seq.begin(), seq.end()).first;
    if (differs == first.end()) continue;
    ++r.chat_order_differs;
    return Note(r, "user " + std::to_string(differs->first) + "'s messages to group " + std::to_string((*box)->other) +
                       " are in another order in user " + std::to_string((*box)->owner) + "'s box");
  }
}

// Each basic group's messages: in every member's box, each sender's in one
// order. Returns the (group, sender, random_id) every member holds, sorted.
std::vector<Triple> CheckGroups(const std::vector<BoxEntry>& entries, const GroupMembers& groups, InvariantReport& r) {
  std::vector<const BoxEntry*> rows;  // by (group, member), box order kept
  for (const BoxEntry& e : entries) {
    if (groups.contains(e.other)) rows.push_back(&e);
  }
  std::stable_sort(rows.begin(), rows.end(), [](const BoxEntry* a, const BoxEntry* b) {
    return std::tie(a->other, a->owner) < std::tie(b->other, b->owner);
  });
  std::vector<Triple> complete, held;  // held: (sender, random_id, member) of one group
  std::vector<Message> everywhere;
  for (Rows begin = rows.begin(), end; begin != rows.end(); begin = end) {
    const uint64_t group = (*begin)->other;
    end = std::find_if(begin, rows.cend(), [&](const BoxEntry* e) { return e->other != group; });
    const size_t members = groups.at(group).size();
    held.clear();
    for (Rows it = begin; it != end; ++it) held.push_back({(*it)->from, (*it)->random_id, (*it)->owner});
    std::sort(held.begin(), held.end());
    held.erase(std::unique(held.begin(), held.end()), held.end());
    everywhere.clear();
    for (size_t i = 0, j; i < held.size(); i = j) {
      for (j = i; j < held.size() && held[j][0] == held[i][0] && held[j][1] == held[i][1];) ++j;
      if (j - i == members) {
        everywhere.emplace_back(held[i][0], held[i][1]);
        complete.push_back({group, held[i][0], held[i][1]});
        continue;
      }
      ++r.one_sided;
      if (r.settled)
        Note(r, Describe(held[i][0], held[i][1]) + " is in " + std::to_string(j - i) + " of group " +
                    std::to_string(group) + "'s " + std::to_string(members) + " members' boxes");
    }
    CheckGroupOrder(begin, end, everywhere, r);
  }
  return complete;
}

}  // namespace

void CheckBoxes(const std::vector<BoxEntry>& entries, const std::vector<AckedMessage>& acked,
                const GroupMembers& groups, InvariantReport* r) {
  CheckDuplicates(entries, *r);
  const Present present(entries);
  const std::vector<Triple> in_groups = CheckGroups(entries, groups, *r);
  for (const AckedMessage& m : acked) {
    if (groups.contains(m.peer)) {
      if (std::binary_search(in_groups.begin(), in_groups.end(), Triple{m.peer, m.from, m.random_id})) continue;
    } else if (present.Has(m.from, m.from, m.random_id) && present.Has(m.peer, m.from, m.random_id)) {
      continue;
    }
    ++r->acked_lost;
    if (r->settled) Note(*r, Describe(m.from, m.random_id) + " was acknowledged but is missing from a box");
  }
  CheckChats(entries, groups, present, *r);
}

namespace {

// workload.groups as provisioned (World::group_layout).
GroupMembers GroupsOf(const World& w) {
  GroupMembers groups;
  for (size_t k = 0; k < w.groups.size(); ++k) {
    std::vector<uint64_t>& members = groups[w.groups[k]];
    for (uint64_t u = 0; u < w.group_layout.Size(k); ++u) members.push_back(w.group_layout.FirstMember(k) + u);
  }
  return groups;
}

}  // namespace

InvariantReport CheckInvariants(const World& w, bool settled) {
  InvariantReport r;
  r.settled = settled;
  r.foreign_deliveries = w.recorder.foreign();
  r.out_of_order = w.recorder.out_of_order();
  std::vector<BoxEntry> entries;
  // The bots' boxes too (workload.bots, ids after the users'): each chat
  // with a bot is checked from both sides like a chat between users.
  const uint64_t boxes = w.scenario.workload.users + w.scenario.workload.bots.count();
  for (uint64_t u = 1; u <= boxes; ++u) {
    for (const api::Update& update : ReadBox(w, u)) {
      if (update.kind() != api::Update::NEW_MESSAGE || update.message().action() != api::ACTION_NONE) continue;
      const api::Message& m = update.message();
      const uint64_t other = m.chat_id() != 0 ? m.chat_id() : m.from_user() == u ? m.peer_user() : m.from_user();
      entries.push_back({u, other, m.from_user(), m.random_id()});
    }
  }
  std::vector<AckedMessage> acked;
  acked.reserve(w.recorder.acked_ids().size());
  for (uint64_t random_id : w.recorder.acked_ids()) {
    const auto [from, peer] = w.recorder.ChatOf(random_id);
    acked.push_back({from, peer, random_id});
  }
  CheckBoxes(entries, acked, GroupsOf(w), &r);
  for (const Population* pop : w.populations) {
    for (const auto& d : pop->devices()) {
      if (d->away) continue;  // offline between sessions: catches up when back
      const uint64_t user = d->user;
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
