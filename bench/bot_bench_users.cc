#include "bot_bench_users.h"

#include <utility>

namespace msgbed::live {

BenchUsers::BenchUsers(asio::io_context& io, uint16_t gateway_port, std::map<SessionKey, api::Authorization> sessions,
                       uint64_t& pending)
    : io_(io), port_(gateway_port), sessions_(std::move(sessions)), pending_(pending) {}

DeviceConnection& BenchUsers::Of(uint64_t user) {
  auto it = devices_.find(user);
  if (it != devices_.end()) return *it->second;
  auto session = sessions_.find({user, 1});
  if (session == sessions_.end()) throw Failure("user " + std::to_string(user) + " was not provisioned");
  auto& d = devices_[user];
  d = std::make_unique<DeviceConnection>(io_, session->second, this);
  return *d;
}

void BenchUsers::Connect(uint64_t user) {
  if (!syncing_.insert(user).second) return;
  ++pending_;
  Of(user).Connect("127.0.0.1", port_, [user](const std::string& why) {
    throw Failure("user " + std::to_string(user) + "'s device lost its connection: " + why);
  });
}

void BenchUsers::Disconnect(uint64_t user) {
  if (auto it = devices_.find(user); it != devices_.end()) it->second->Disconnect();
}

void BenchUsers::Send(uint64_t user, uint64_t peer, const std::string& text, std::function<void()> sent) {
  const uint64_t random_id = next_random_id_++;
  sends_[random_id] = std::move(sent);
  ++pending_;
  Of(user).device().SendText(peer, text, random_id);
}

void BenchUsers::OnSynced(Device& d) {
  // Also after a later catch-up (a gap, a quiet period): counted once.
  if (syncing_.erase(d.user()) > 0) --pending_;
}

void BenchUsers::OnSent(Device&, const api::SentMessage& s) {
  auto it = sends_.find(s.random_id());
  if (it == sends_.end()) return;
  std::function<void()> sent = std::move(it->second);
  sends_.erase(it);
  --pending_;
  sent();
}

void BenchUsers::OnSendFailed(Device& d, uint64_t random_id, const api::Error& e) {
  throw Failure("user " + std::to_string(d.user()) + "'s send " + std::to_string(random_id) +
                " failed: " + api::ErrorCode_Name(e.code()) + " " + e.message());
}

void BenchUsers::OnError(Device& d, const api::Error& e) {
  throw Failure("user " + std::to_string(d.user()) + "'s device got an error: " + api::ErrorCode_Name(e.code()) + " " +
                e.message());
}

}  // namespace msgbed::live
