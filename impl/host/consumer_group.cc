#include "host/consumer_group.h"

namespace msgbed {

void ConsumerGroup::Join(const Address& member) {
  members_.insert(member);
  std::erase_if(owner_, [&](const auto& entry) { return SameAddress(entry.second, member); });
}

void ConsumerGroup::Leave(const Address& member) {
  members_.erase(member);
  std::erase_if(owner_, [&](const auto& entry) { return SameAddress(entry.second, member); });
}

// The partitions `from` gives a member that `to` does not give the same
// one, by that member in address order.
std::vector<ConsumerGroup::Change> ConsumerGroup::Moved(const std::map<Key, Address>& from,
                                                        const std::map<Key, Address>& to) {
  std::map<Address, Change, AddressLess> by_member;
  for (const auto& [key, member] : from) {
    auto it = to.find(key);
    if (it != to.end() && SameAddress(it->second, member)) continue;
    Change& c = by_member[member];
    c.member = member;
    c.partitions.push_back({key.first, key.second});
  }
  std::vector<Change> out;
  for (auto& [member, c] : by_member) out.push_back(std::move(c));
  return out;
}

ConsumerGroup::Moves ConsumerGroup::Rebalance() {
  std::map<Key, Address> next;
  const uint32_t n = static_cast<uint32_t>(members_.size());
  if (n > 0) {
    for (const std::string& topic : topics_) {
      uint32_t p = 0, i = 0;
      for (const Address& member : members_) {
        const uint32_t take = partitions_ / n + (i++ < partitions_ % n ? 1 : 0);
        for (uint32_t k = 0; k < take; ++k, ++p) next.emplace(Key{topic, p}, member);
      }
    }
  }
  Moves moves{Moved(owner_, next), Moved(next, owner_)};
  owner_ = std::move(next);
  return moves;
}

const Address* ConsumerGroup::Owner(const std::string& topic, uint32_t partition) const {
  auto it = owner_.find({topic, partition});
  return it == owner_.end() ? nullptr : &it->second;
}

}  // namespace msgbed
