#include "channel_posts.h"

#include "population.h"
#include "world.h"

namespace msgbed::sim {

namespace {

constexpr uint64_t kPoster = 1;  // the creator of every channel of the workload

}  // namespace

ChannelPosts::ChannelPosts(World* world) : world_(world) {
  for (size_t k = 0; k < world->channels.size(); ++k) {
    streams_.emplace_back(DeriveSeed(world->scenario.seed, "channels/" + std::to_string(k)));
  }
}

void ChannelPosts::Begin(Node* clock) {
  clock_ = clock;
  for (size_t k = 0; k < streams_.size(); ++k) Schedule(k, world_->scenario.workload.connect_ramp);
}

void ChannelPosts::Schedule(size_t k, double after) {
  const double per_second = world_->scenario.workload.channels[k].posts_per_minute / 60;
  if (per_second <= 0) return;
  const double at = after + streams_[k].Exponential(per_second);
  if (at >= world_->scenario.duration) return;
  clock_->Post(at, 0, [this, k] { Post(k); });
}

void ChannelPosts::Post(size_t k) {
  const uint64_t poster = world_->users.DeviceIndex(kPoster, 1);
  const uint32_t gateways = world_->shape.Count(role::kGateway);
  Population& pop = *world_->populations[poster % gateways];
  const uint64_t random_id = streams_[k].Next() | 1;
  const uint64_t online = OnlineMembers(k);
  if (pop.PostToChannel(poster / gateways, world_->channels[k], random_id)) {
    world_->recorder.Posted(random_id, static_cast<uint32_t>(k), world_->Now(), online);
  } else {
    world_->recorder.PostSkipped(static_cast<uint32_t>(k));
  }
  Schedule(k, world_->Now());
}

uint64_t ChannelPosts::OnlineMembers(size_t k) const {
  const uint64_t members = world_->scenario.workload.channels[k].members;
  const uint64_t poster = world_->users.DeviceIndex(kPoster, 1);
  const uint32_t gateways = world_->shape.Count(role::kGateway);
  uint64_t n = 0;
  for (uint32_t g = 0; g < gateways; ++g) {
    const auto& devices = world_->populations[g]->devices();
    for (size_t i = 0; i < devices.size(); ++i) {
      const bool is_poster = i * gateways + g == poster;
      n += devices[i]->user <= members && devices[i]->connected_at >= 0 && !devices[i]->away && !is_poster;
    }
  }
  return n;
}

}  // namespace msgbed::sim
