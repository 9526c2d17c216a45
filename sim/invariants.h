// Invariants: what must hold at the end of every simulated run, with
// faults or without. The summary reports each (summary.json "invariants"),
// `msgbed run` exits 1 when one is broken, and a fault campaign (msgbed
// campaign) runs many seeds against them.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace msgbed::sim {

class World;

struct InvariantReport {
  uint64_t acked_lost = 0;            // acknowledged, yet missing from the sender's or the peer's box
  uint64_t one_sided = 0;             // in one box of its chat but not in the other
  uint64_t duplicated = 0;            // the same (sender, random_id) twice in one box
  uint64_t chat_order_differs = 0;    // chats whose messages the two boxes hold in different orders
  uint64_t foreign_deliveries = 0;    // shown to a device of a user not in the chat
  uint64_t out_of_order = 0;          // shown to a device below a pts it had already reached
  uint64_t devices_behind = 0;        // devices (not away) whose pts is not their box's head at the end
  std::vector<std::string> examples;  // the first few violations, readable
  // The run ended with nothing in flight. If not, what must happen
  // eventually (an acknowledged message reaching the peer's box, a device
  // catching up) may still be on its way: counted, not called a violation.
  // What must never happen (duplicates, misordering, foreign deliveries)
  // is a violation either way.
  bool settled = true;

  bool ok() const {
    const uint64_t eventually = settled ? acked_lost + one_sided + devices_behind : 0;
    return duplicated + chat_order_differs + foreign_deliveries + out_of_order + eventually == 0;
  }
};

// One message in a box: who sent it, its random_id, and the chat's other
// side for the box owner (a user, or a basic group's id).
struct BoxEntry {
  uint64_t owner, other, from, random_id;
};
// A message the sender's device saw acknowledged; peer is a user or a group.
struct AckedMessage {
  uint64_t from, peer, random_id;
};
// The run's basic groups: id -> members, ascending.
using GroupMembers = std::map<uint64_t, std::vector<uint64_t>>;

// The box invariants (duplicated, acked_lost, one_sided,
// chat_order_differs) over every box's entries, given by owner and then in
// box (pts) order; adds to *r (and its examples, if r->settled for what
// may still be on its way). A group message belongs in every member's box,
// and each sender's group messages in one order in all of them. Sorted
// flat arrays, not a set per box: a million-user run holds millions of
// entries.
void CheckBoxes(const std::vector<BoxEntry>& entries, const std::vector<AckedMessage>& acked,
                const GroupMembers& groups, InvariantReport* r);

// Reads every box of the run. REQUIRES: the run has ended.
InvariantReport CheckInvariants(const World& w, bool settled);

}  // namespace msgbed::sim
