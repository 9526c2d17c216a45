#include "sync/sync_service.h"

#include <algorithm>

#include "core/client_reply.h"
#include "proto/events.pb.h"
#include "proto/gateway.pb.h"
#include "proto/storage.pb.h"
#include "sync/placement.h"

namespace msgbed {

namespace {

// prefix user device (big-endian ids): 'r' -> storage.Registration;
// 'v' -> "" (the session was revoked).
std::string DeviceKey(char prefix, uint64_t user, uint64_t device) {
  std::string k(1, prefix);
  for (uint64_t v : {user, device}) {
    for (int i = 7; i >= 0; --i) k.push_back(static_cast<char>(v >> (8 * i)));
  }
  return k;
}

std::string RegistrationKey(uint64_t user, uint64_t device) { return DeviceKey('r', user, device); }
std::string RevokedKey(uint64_t user, uint64_t device) { return DeviceKey('v', user, device); }

}  // namespace

SyncService::SyncService(Env* env, ClusterShape shape) : env_(env), shape_(std::move(shape)) { Recover(); }

void SyncService::Register(Handlers& handlers) {
  handlers.On(this, &SyncService::HandleOnline);
  handlers.On(this, &SyncService::HandleOffline);
  handlers.On(this, &SyncService::HandleGone);
  handlers.On(this, &SyncService::HandleAcked);
  handlers.On(this, &SyncService::HandleRevoked);
  handlers.On(this, &SyncService::HandleTyping);
}

void SyncService::Recover() {
  KvStore::Entries entries;
  if (!env_->Kv().Scan("r", "s", SIZE_MAX, &entries).ok()) {
    env_->Stats().Add("sync.recover_errors");
    return;
  }
  for (const auto& [key, value] : entries) {
    storage::Registration r;
    if (!r.ParseFromString(value)) {
      env_->Stats().Add("sync.bad_registrations");
      continue;
    }
    online_[r.client().user()].push_back(r.client());
  }
}

std::vector<Service::Subscription> SyncService::Subscriptions() const {
  std::vector<Subscription> subs;
  for (uint32_t p = 0; p < shape_.partitions; ++p) {
    if (SyncConsumes(shape_, env_->Self().index(), p)) subs.push_back({kUpdatesTopic, p});
  }
  return subs;
}

void SyncService::HandleOffline(const Incoming&, const sync::DeviceOffline& req) { Forget(req.client()); }
void SyncService::HandleGone(const Incoming&, const sync::ConnectionGone& req) { Forget(req.client()); }

void SyncService::HandleOnline(const Incoming& in, const sync::DeviceOnline& req) {
  const rpc::ClientRef& ref = req.client();
  Status status;
  const bool revoked = env_->Kv().Get(RevokedKey(ref.user(), ref.device()), &status).has_value();
  if (!status.ok()) return AnswerClient(*env_, in.reply_to, ErrorFrame(api::INTERNAL, "cannot read the device"));
  // A resume checked just before its session was terminated ends here.
  if (revoked) return AnswerClient(*env_, in.reply_to, ErrorFrame(api::SESSION_REVOKED, "the session was terminated"));
  storage::Registration record;
  *record.mutable_client() = ref;
  WriteBatch batch;
  batch.Put(RegistrationKey(ref.user(), ref.device()), record.SerializeAsString());
  if (Status s = env_->Kv().Write(batch); !s.ok()) {
    return AnswerClient(*env_, in.reply_to, ErrorFrame(api::INTERNAL, "cannot record the device: " + s.message()));
  }
  auto& conns = online_[ref.user()];
  auto old = std::find_if(conns.begin(), conns.end(), [&](const auto& c) { return c.device() == ref.device(); });
  if (old != conns.end()) {
    if (!SameConnection(*old, ref)) {
      auto close = NewBody<gateway::CloseConnection>();
      *close->mutable_client() = *old;
      close->set_code(api::AUTH_KEY_DUPLICATED);
      close->set_reason("this device signed in on another connection");
      env_->Send(old->gateway(), std::move(close));
    }
    *old = ref;
  } else {
    conns.push_back(ref);
  }
  api::ServerFrame frame;
  frame.mutable_signed_in()->set_user_id(ref.user());
  frame.mutable_signed_in()->set_device_id(ref.device());
  AnswerClient(*env_, in.reply_to, std::move(frame));
}

void SyncService::Forget(const rpc::ClientRef& ref) {
  auto it = online_.find(ref.user());
  if (it == online_.end()) return;
  // Only that connection: the device may already be back on another one.
  auto& conns = it->second;
  auto c = std::find_if(conns.begin(), conns.end(),
                        [&](const auto& c) { return c.device() == ref.device() && SameConnection(c, ref); });
  if (c == conns.end()) return;
  WriteBatch batch;
  batch.Delete(RegistrationKey(ref.user(), ref.device()));
  if (!env_->Kv().Write(batch).ok()) env_->Stats().Add("sync.storage_errors");
  conns.erase(c);
  if (conns.empty()) online_.erase(it);
}

void SyncService::HandleRevoked(const Incoming&, const sync::DeviceRevoked& req) {
  WriteBatch batch;
  batch.Put(RevokedKey(req.user(), req.device()), "");
  if (!env_->Kv().Write(batch).ok()) env_->Stats().Add("sync.storage_errors");
  auto it = online_.find(req.user());
  if (it == online_.end()) return;
  auto c =
      std::find_if(it->second.begin(), it->second.end(), [&](const auto& c) { return c.device() == req.device(); });
  if (c == it->second.end()) return;
  const rpc::ClientRef ref = *c;
  auto close = NewBody<gateway::CloseConnection>();
  *close->mutable_client() = ref;
  close->set_code(api::SESSION_REVOKED);
  close->set_reason("the session was terminated");
  env_->Send(ref.gateway(), std::move(close));
  Forget(ref);
}

void SyncService::HandleAcked(const Incoming&, const sync::DeviceAcked& req) {
  uint64_t& pts = acked_[{req.user(), req.device()}];
  pts = std::max(pts, req.pts());
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

void SyncService::OnBusRecord(const BusRecord& record) {
  events::BoxUpdate event;
  if (!event.ParseFromString(record.payload)) {
    env_->Stats().Add("sync.bad_records");
    return;
  }
  if (event.channel_id() == 0) return PushTo(event.user_id(), event.update(), event.origin_device());
  // A channel's update, for the members this record names.
  for (uint64_t user : event.users()) {
    PushTo(user, event.update(), user == event.origin_user() ? event.origin_device() : 0);
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
