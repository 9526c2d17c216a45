#include "sync/sync_service.h"

#include <algorithm>

#include "proto/events.pb.h"

namespace msgbed {

std::vector<Service::Subscription> SyncService::Subscriptions() const {
  std::vector<Subscription> subs;
  for (uint32_t p = 0; p < shape_.partitions; ++p) {
    if (shape_.SyncConsumes(env_->Self().index(), p)) subs.push_back({kUpdatesTopic, p});
  }
  return subs;
}

void SyncService::OnMessage(const rpc::Envelope& msg) {
  switch (msg.body_case()) {
    case rpc::Envelope::kDeviceOnline: return HandleOnline(msg.device_online());
    case rpc::Envelope::kDeviceOffline: return HandleOffline(msg.device_offline());
    case rpc::Envelope::kDeviceAcked: return HandleAcked(msg.device_acked());
    default: env_->Stats().Add("sync.unexpected_rpc");
  }
}

void SyncService::HandleOnline(const rpc::DeviceOnline& req) {
  auto& conns = online_[req.user()];
  std::erase_if(conns, [&](const Connection& c) { return c.device == req.device(); });
  conns.push_back({req.device(), req.origin().gateway(), req.origin().conn()});

  rpc::Envelope out;
  *out.mutable_to() = req.origin().gateway();
  rpc::ClientReply* reply = out.mutable_client_reply();
  reply->set_conn(req.origin().conn());
  reply->mutable_frame()->set_request_id(req.origin().request_id());
  reply->mutable_frame()->mutable_signed_in()->set_user_id(req.user());
  reply->mutable_frame()->mutable_signed_in()->set_device_id(req.device());
  env_->Send(std::move(out));
}

void SyncService::HandleOffline(const rpc::DeviceOffline& req) {
  auto it = online_.find(req.user());
  if (it == online_.end()) return;
  // Only the connection that closed: the device may already be back elsewhere.
  std::erase_if(it->second, [&](const Connection& c) {
    return c.device == req.device() && c.conn == req.origin().conn() && SameAddress(c.gateway, req.origin().gateway());
  });
  if (it->second.empty()) online_.erase(it);
}

void SyncService::HandleAcked(const rpc::DeviceAcked& req) {
  uint64_t& pts = acked_[{req.user(), req.device()}];
  pts = std::max(pts, req.pts());
}

void SyncService::OnBusRecord(const BusRecord& record) {
  events::NewMessageUpdate event;
  if (!event.ParseFromString(record.payload)) {
    env_->Stats().Add("sync.bad_records");
    return;
  }
  auto it = online_.find(event.user_id());
  if (it == online_.end()) return;
  for (const Connection& c : it->second) {
    if (c.device == event.origin_device()) continue;
    rpc::Envelope out;
    *out.mutable_to() = c.gateway;
    rpc::ClientReply* reply = out.mutable_client_reply();
    reply->set_conn(c.conn);
    *reply->mutable_frame()->mutable_update() = event.update();
    env_->Send(std::move(out));
    env_->Stats().Add("sync.pushed");
  }
}

size_t SyncService::online_devices() const {
  size_t n = 0;
  for (const auto& [user, conns] : online_) n += conns.size();
  return n;
}

uint64_t SyncService::AckedPts(uint64_t user, uint64_t device) const {
  auto it = acked_.find({user, device});
  return it == acked_.end() ? 0 : it->second;
}

}  // namespace msgbed
