#include "live/live_env.h"

#include <chrono>

namespace msgbed::live {

Micros LiveEnv::Now() const {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

TimerId LiveEnv::StartTimer(Micros delay, std::function<void()> fn) {
  const TimerId id = next_timer_++;
  auto timer = std::make_unique<asio::steady_timer>(io_, std::chrono::microseconds(delay));
  timer->async_wait([this, id, fn = std::move(fn)](boost::system::error_code ec) {
    // Cancelled timers are erased (and their wait aborted) before this runs.
    if (ec || timers_.erase(id) == 0) return;
    fn();
  });
  timers_[id] = std::move(timer);
  return id;
}

void LiveEnv::Send(rpc::Envelope msg) {
  *msg.mutable_from() = self_;
  router_->Send(std::move(msg));
}

void LiveEnv::SendToClient(ConnId conn, const api::ServerFrame& frame) {
  if (clients_) clients_->Send(conn, frame);
}

void LiveEnv::CloseClient(ConnId conn, std::string_view reason) {
  if (clients_) clients_->Close(conn, reason);
}

void LiveEnv::Publish(const std::string& topic, const std::string& key, std::string payload) {
  bus_->Publish(topic, key, payload);
}

}  // namespace msgbed::live
