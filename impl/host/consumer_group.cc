#include "host/consumer_group.h"

namespace msgbed {

void ConsumerGroup::Join(const rpc::Address& member) {
  members_.insert(member);
  std::erase_if(owner_, [&](const auto& entry) { return SameAddress(entry.second, member); });
}

void ConsumerGroup::Leave(const rpc::Address& member) {
  members_.erase(member);
  std::erase_if(owner_, [&](const auto& entry) { return SameAddress(entry.second, member); });
}

ConsumerGroup::Moves ConsumerGroup::Rebalance() {
  std::map<Key, rpc::Address> next;
  const uint32_t n = static_cast<uint32_t>(members_.size());
  if (n > 0) {
    for (const std::string& topic : topics_) {
      uint32_t p = 0, i = 0;
      for (const rpc::Address& member : members_) {
        const uint32_t take = partitions_ / n + (i++ < partitions_ % n ? 1 : 0);
        for (uint32_t k = 0; k < take; ++k, ++p) next.emplace(Key{topic, p}, member);
      }
    }
  }
  std::map<rpc::Address, Change, AddressLess> revoked, assigned;
  for (const auto& [key, member] : owner_) {
    auto it = next.find(key);
    if (it != next.end() && SameAddress(it->second, member)) continue;
    Change& c = revoked[member];
    c.member = member;
    c.partitions.push_back({key.first, key.second});
  }
  for (const auto& [key, member] : next) {
    auto it = owner_.find(key);
    if (it != owner_.end() && SameAddress(it->second, member)) continue;
    Change& c = assigned[member];
    c.member = member;
    c.partitions.push_back({key.first, key.second});
  }
  owner_ = std::move(next);
  Moves moves;
  for (auto& [member, c] : revoked) moves.revoked.push_back(std::move(c));
  for (auto& [member, c] : assigned) moves.assigned.push_back(std::move(c));
  return moves;
}

const rpc::Address* ConsumerGroup::Owner(const std::string& topic, uint32_t partition) const {
  auto it = owner_.find({topic, partition});
  return it == owner_.end() ? nullptr : &it->second;
}

}  // namespace msgbed
