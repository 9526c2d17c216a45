// ChannelPosts: workload.channels. Each channel is written full at the
// start (users 1..members; messages/provision.h); its creator, user 1,
// posts from its first device, Poisson at posts_per_minute over the loaded
// period, from the run's "channels/<k>" stream. Each post is recorded
// with the number of other member devices connected then, so the summary
// can say how long it took until every one of them showed it.
#pragma once

#include <vector>

#include "core/rng.h"
#include "node.h"

namespace msgbed::sim {

class ChannelPosts {
 public:
  // REQUIRES: world->channels holds the provisioned channels, in the
  // order of workload.channels.
  explicit ChannelPosts(World* world);
  void Begin(Node* clock);

 private:
  void Schedule(size_t k, double after);
  void Post(size_t k);
  // Member devices of channel k connected now, the poster's aside.
  uint64_t OnlineMembers(size_t k) const;

  World* world_;
  Node* clock_ = nullptr;
  std::vector<Rng> streams_;  // one per channel
};

}  // namespace msgbed::sim
