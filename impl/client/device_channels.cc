// Device: the channels its user is in, each with its own pts.
#include <algorithm>

#include "client/device.h"

namespace msgbed {

void Device::OnMembership(const api::Update& update) {
  const uint64_t id = update.channel_id();
  if (update.left()) {
    auto it = channels_.find(id);
    if (it == channels_.end()) return;
    left_channels_[id] = {it->second.pts, it->second.last_id};
    channels_.erase(it);
    return;
  }
  auto [it, joined] = channels_.try_emplace(id);
  if (!joined) return;
  // Back in a channel it left: on from where it was, so what it showed
  // then is not shown again (what was posted meanwhile is history to read).
  if (auto was = left_channels_.find(id); was != left_channels_.end()) {
    it->second.pts = was->second.first;
    it->second.last_id = was->second.second;
    left_channels_.erase(was);
  }
  RequestChannelDifference(id);
}

void Device::SyncChannels() {
  for (auto& [id, channel] : channels_) {
    if (!channel.syncing) RequestChannelDifference(id);
  }
}

void Device::DrainChannels() {
  for (auto& [id, channel] : channels_) {
    if (!channel.syncing) DrainChannel(channel);
  }
}

void Device::DrainChannel(ChannelState& channel) {
  std::vector<api::Update> pending;
  pending.swap(channel.buffer);
  std::stable_sort(pending.begin(), pending.end(), [](const auto& a, const auto& b) { return a.pts() < b.pts(); });
  for (const api::Update& update : pending) ProcessChannel(update);
}

void Device::DeliverToChannel(ChannelState& channel, const api::Update& update) {
  channel.last_id = std::max(channel.last_id, update.message().id());
  Deliver(update);
}

void Device::RequestChannelDifference(uint64_t id) {
  ChannelState& channel = channels_.at(id);
  channel.syncing = true;
  api::ClientFrame frame;
  frame.mutable_get_channel_difference()->set_channel_id(id);
  frame.mutable_get_channel_difference()->set_pts(channel.pts);
  channel.request_id = Send(std::move(frame));
}

void Device::ProcessChannel(const api::Update& update) {
  auto it = channels_.find(update.channel_box());
  if (it == channels_.end()) return;  // not (yet) in it: joining fetches it
  ChannelState& channel = it->second;
  if (state_ != State::kReady || channel.syncing) return channel.buffer.push_back(update);
  if (channel.pts + update.pts_count() > update.pts()) {
    ++duplicates_;
    return;
  }
  if (channel.pts + update.pts_count() < update.pts()) {
    channel.buffer.push_back(update);
    return RequestChannelDifference(it->first);
  }
  channel.pts = update.pts();
  DeliverToChannel(channel, update);
}

void Device::OnChannelDifference(const api::ChannelDifference& diff) {
  auto it = channels_.find(diff.channel_id());
  if (it == channels_.end()) return;
  ChannelState& channel = it->second;
  channel.request_id = 0;
  channel.failures = 0;
  if (diff.too_long()) {
    channel.pts = diff.pts();
    for (const api::Message& m : diff.messages()) {
      if (m.id() <= channel.last_id) continue;  // shown already
      api::Update update;
      *update.mutable_message() = m;
      update.set_channel_box(diff.channel_id());
      DeliverToChannel(channel, update);
    }
  }
  for (const api::Update& update : diff.updates()) {
    if (channel.pts + update.pts_count() != update.pts()) continue;  // had it already
    channel.pts = update.pts();
    DeliverToChannel(channel, update);
  }
  if (diff.is_slice()) return RequestChannelDifference(diff.channel_id());
  channel.syncing = false;
  if (state_ == State::kReady) DrainChannel(channel);  // else once the box is synced
}

bool Device::ChannelRequestFailed(uint64_t request_id, const api::Error& error) {
  auto it = std::find_if(channels_.begin(), channels_.end(),
                         [&](const auto& c) { return c.second.request_id == request_id && request_id != 0; });
  if (it == channels_.end()) return false;
  const uint64_t id = it->first;
  if (error.code() == api::CHANNEL_PRIVATE || error.code() == api::CHANNEL_INVALID) {
    channels_.erase(it);  // no longer in it: its box will say so too
    return true;
  }
  it->second.request_id = 0;
  Later(Backoff(it->second.failures++, error), [this, id] {
    auto again = channels_.find(id);
    if (again == channels_.end() || again->second.request_id != 0 || !again->second.syncing) return;
    ++retries_;
    RequestChannelDifference(id);
  });
  return true;
}

}  // namespace msgbed
