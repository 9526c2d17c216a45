#include "sync/sync_service.h"

#include <algorithm>

#include "auth/placement.h"
#include "core/client_reply.h"
#include "proto/auth.pb.h"
#include "proto/gateway.pb.h"

namespace msgbed {

SyncService::SyncService(Env* env, ClusterShape shape) : env_(env), shape_(std::move(shape)) {}

template <typename M>
void SyncService::OnBus(Handlers& handlers, void (SyncService::*apply)(const Incoming&, const M&)) {
  handlers.On<M>([this, apply](const Incoming& in, const M& m) {
    // The host holds a partition being gathered: what arrives is served.
    if (!serving(static_cast<uint32_t>(in.partition))) return env_->Stats().Add("sync.not_from_assigned_partition");
    (this->*apply)(in, m);
  });
}

void SyncService::Register(Handlers& handlers) {
  OnBus(handlers, &SyncService::HandleOnline);
  OnBus(handlers, &SyncService::HandleOffline);
  OnBus(handlers, &SyncService::HandleUpdate);
  OnBus(handlers, &SyncService::HandleTyping);
  OnBus(handlers, &SyncService::HandleSecret);
  handlers.On(this, &SyncService::HandleGone);
}

void SyncService::OnPartitionsAssigned(const std::vector<Partition>& assigned) {
  std::vector<uint32_t> fresh;
  for (const Partition& p : assigned) {
    if (p.topic != kUpdatesTopic || !partitions_.emplace(p.partition, false).second) continue;
    env_->HoldPartition(kUpdatesTopic, p.partition);  // until the gateways said who is online there
    fresh.push_back(p.partition);
  }
  env_->Stats().Set("sync.partitions", static_cast<int64_t>(partitions_.size()));
  if (!fresh.empty()) Gather(std::move(fresh));
}

void SyncService::OnPartitionsRevoked(const std::vector<Partition>& revoked) {
  for (const Partition& p : revoked) {
    if (p.topic == kUpdatesTopic) partitions_.erase(p.partition);
  }
  // Its users' presence goes with the partition: the next owner gathers it.
  std::erase_if(online_, [&](const auto& entry) { return !partitions_.contains(shape_.PartitionOf(entry.first)); });
  env_->Stats().Add("sync.partitions_revoked", static_cast<int64_t>(revoked.size()));
  env_->Stats().Set("sync.partitions", static_cast<int64_t>(partitions_.size()));
}

void SyncService::Gather(std::vector<uint32_t> partitions) {
  const uint64_t round = next_round_++;
  // Every instance that holds clients: gateways, and Bot API servers for bots.
  std::vector<Address> holders;
  for (const char* r : {role::kGateway, role::kBotApi}) {
    for (uint32_t i = 0; i < shape_.Count(r); ++i) holders.push_back(MakeAddress(r, i));
  }
  rounds_[round] = Round{partitions, static_cast<uint32_t>(holders.size())};
  env_->Stats().Add("sync.gathers");
  if (holders.empty()) return Answered(round, nullptr);
  for (const Address& holder : holders) {
    auto query = NewBody<sync::PresenceQuery>();
    for (uint32_t p : partitions) query->add_partitions(p);
    env_->Call(holder, std::move(query), kGatherDeadline,
               [this, round](const CallResult& r) { Answered(round, r.As<sync::PresenceSnapshot>()); });
  }
}

void SyncService::Answered(uint64_t round, const sync::PresenceSnapshot* snapshot) {
  auto it = rounds_.find(round);
  if (it == rounds_.end()) return;
  if (snapshot == nullptr) {
    env_->Stats().Add("sync.gateways_unanswered");
  } else {
    for (const rpc::ClientRef& ref : snapshot->clients()) {
      auto p = partitions_.find(shape_.PartitionOf(ref.user()));
      if (p != partitions_.end() && !p->second) Add(ref);
    }
  }
  if (it->second.waiting > 0 && --it->second.waiting > 0) return;
  const std::vector<uint32_t> partitions = std::move(it->second.partitions);
  rounds_.erase(it);
  for (uint32_t partition : partitions) {
    auto p = partitions_.find(partition);
    if (p == partitions_.end() || p->second) continue;  // revoked (or re-gathered) meanwhile
    p->second = true;
    env_->ReleasePartition(kUpdatesTopic, partition);
  }
}

void SyncService::HandleOffline(const Incoming&, const sync::DeviceOffline& req) { Forget(req.client()); }
void SyncService::HandleGone(const Incoming&, const sync::ConnectionGone& req) { Forget(req.client()); }

void SyncService::HandleOnline(const Incoming& in, const sync::DeviceOnline& req) {
  NoteDelay(static_cast<uint32_t>(in.partition), req.published_us());
  Add(req.client());
  api::ServerFrame frame;
  frame.mutable_signed_in()->set_user_id(req.client().user());
  frame.mutable_signed_in()->set_device_id(req.client().device());
  AnswerClient(*env_, in.reply_to, std::move(frame));
}

void SyncService::Add(const rpc::ClientRef& ref) {
  auto& conns = online_[ref.user()];
  auto old = std::find_if(conns.begin(), conns.end(), [&](const auto& c) { return c.device() == ref.device(); });
  if (old == conns.end()) return conns.push_back(ref);
  if (!SameConnection(*old, ref)) {
    auto close = NewBody<gateway::CloseConnection>();
    *close->mutable_client() = *old;
    close->set_code(api::AUTH_KEY_DUPLICATED);
    close->set_reason("this device signed in on another connection");
    env_->Send(old->gateway(), std::move(close));
  }
  *old = ref;
}

void SyncService::Forget(const rpc::ClientRef& ref) {
  auto it = online_.find(ref.user());
  if (it == online_.end()) return;
  // Only that connection: the device may already be back on another one.
  auto& conns = it->second;
  auto c = std::find_if(conns.begin(), conns.end(),
                        [&](const auto& c) { return c.device() == ref.device() && SameConnection(c, ref); });
  if (c == conns.end()) return;
  conns.erase(c);
  if (conns.empty()) online_.erase(it);
}

void SyncService::HandleTyping(const Incoming&, const sync::Typing& req) {
  for (uint64_t user : req.users()) {
    auto it = online_.find(user);
    if (it == online_.end()) continue;
    for (const rpc::ClientRef& c : it->second) {
      api::ServerFrame frame;
      *frame.mutable_typing() = req.typing();
      PushToClient(*env_, c, std::move(frame));
    }
  }
}

void SyncService::HandleSecret(const Incoming& in, const events::SecretPush& push) {
  NoteDelay(static_cast<uint32_t>(in.partition), push.published_us());
  auto it = online_.find(push.user_id());
  if (it == online_.end()) return;
  for (const rpc::ClientRef& c : it->second) {
    if (push.device() != 0 && c.device() != push.device()) continue;
    api::ServerFrame frame;
    *frame.mutable_secret_update() = push.update();
    PushToClient(*env_, c, std::move(frame));
  }
}

void SyncService::HandleUpdate(const Incoming& in, const events::BoxUpdate& event) {
  NoteDelay(static_cast<uint32_t>(in.partition), event.published_us());
  if (event.channel_id() == 0) {
    if (!online_.contains(event.user_id())) return Notify(event.user_id(), event.update());
    return PushTo(event.user_id(), event.update(), event.origin_device());
  }
  // A channel's update, for the members this record names.
  for (uint64_t user : event.users()) {
    PushTo(user, event.update(), user == event.origin_user() ? event.origin_device() : 0);
  }
}

void SyncService::NoteDelay(uint32_t partition, int64_t published_us) {
  const Micros behind = env_->Date() - published_us;
  if (published_us == 0 || behind < kReportBehind) return;
  const Micros now = env_->Now();
  auto [last, fresh] = reported_.try_emplace(partition, now);
  if (!fresh && now - last->second < kReportEvery) return;
  last->second = now;
  env_->Stats().Add("sync.behind_reports");
  for (uint32_t g = 0; g < shape_.Count(role::kGateway); ++g) {
    auto report = NewBody<sync::Behind>();
    report->set_partition(partition);
    report->set_behind_us(behind);
    env_->Send(MakeAddress(role::kGateway, g), std::move(report));
  }
}

void SyncService::PushTo(uint64_t user, const api::Update& update, uint64_t except_device) {
  auto it = online_.find(user);
  if (it == online_.end()) return;
  for (const rpc::ClientRef& c : it->second) {
    if (c.device() == except_device) continue;
    api::ServerFrame frame;
    *frame.mutable_update() = update;
    PushToClient(*env_, c, std::move(frame));
    env_->Stats().Add("sync.pushed");
  }
}

void SyncService::Notify(uint64_t user, const api::Update& update) {
  if (update.kind() != api::Update::NEW_MESSAGE || update.message().from_user() == user) return;
  auto notify = NewBody<auth::Notify>();
  notify->set_user(user);
  notify->set_from_user(update.message().from_user());
  notify->set_chat_id(update.message().chat_id());
  notify->set_pts(update.pts());
  env_->Send(AuthOfUser(shape_, user), std::move(notify));
  env_->Stats().Add("sync.notified");
}

size_t SyncService::online_devices() const {
  size_t n = 0;
  for (const auto& [user, conns] : online_) n += conns.size();
  return n;
}

std::vector<uint32_t> SyncService::assigned() const {
  std::vector<uint32_t> out;
  for (const auto& [p, state] : partitions_) out.push_back(p);
  std::sort(out.begin(), out.end());
  return out;
}

bool SyncService::serving(uint32_t partition) const {
  auto it = partitions_.find(partition);
  return it != partitions_.end() && it->second;
}

}  // namespace msgbed
