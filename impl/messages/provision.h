// Provision: a channel and its members written directly into the messages
// stores, as creating it and every member's join would have left them,
// for worlds that start with channels already full (the simulator's
// `workload.channels`). Live deployments never use it.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "core/cluster.h"
#include "core/kv_store.h"
#include "proto/storage.pb.h"

namespace msgbed {

// record (its id, title, creator, admins) with `members` (the creator among
// them): into the channel owner's store, and an Update CHANNEL into every
// member's box.
Status ProvisionChannel(const std::function<KvStore&(const Address&)>& store_of, const ClusterShape& shape,
                        storage::ChannelRecord record, const std::vector<uint64_t>& members);

// A basic group's record (id, title, creator, members ascending) into its
// owner's store, as creating it with those members would have left it
// (without the creation's service messages).
Status ProvisionGroup(const std::function<KvStore&(const Address&)>& store_of, const ClusterShape& shape,
                      const storage::ChatRecord& record);

}  // namespace msgbed
