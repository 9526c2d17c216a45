// BenchUsers: the people of bot_api_bench, each a real client device
// (impl/client Device over a DeviceConnection) on the gateway, driven on
// the bench's own io_context. A bot may write only to users who wrote to it
// first, and a long poll wakes for what users send, so both go through
// here as a person's app would send them.
//
// Every connect and send it starts counts in `pending` until it is synced
// or acknowledged: the bench's loop runs until that count is 0. A failure
// (a refused send, an error frame, a dropped connection) throws
// BenchUsers::Failure out of the io_context's run: nothing a user does in
// the bench may fail.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "live/device_connection.h"
#include "live/provision.h"

namespace msgbed::live {

class BenchUsers final : public Device::Observer {
 public:
  struct Failure : std::runtime_error {
    using std::runtime_error::runtime_error;
  };

  // sessions: each user's device 1, provisioned. REQUIRES: io and pending
  // outlive this.
  BenchUsers(asio::io_context& io, uint16_t gateway_port, std::map<SessionKey, api::Authorization> sessions,
             uint64_t& pending);

  // Connects the user's device; pending until it has resumed its session
  // and caught up. Connecting again after Disconnect resumes it.
  void Connect(uint64_t user);
  // Goes offline (the device is kept: its pts, and the handlers still
  // queued for it). Not from within a callback of this class.
  void Disconnect(uint64_t user);
  // The user's device sends text to user (or bot) peer; sent() once the
  // server has stored it. REQUIRES: connected and caught up.
  void Send(uint64_t user, uint64_t peer, const std::string& text, std::function<void()> sent);

 private:
  void OnSynced(Device& d) override;
  void OnSent(Device& d, const api::SentMessage& s) override;
  void OnSendFailed(Device& d, uint64_t random_id, const api::Error& e) override;
  void OnError(Device& d, const api::Error& e) override;
  DeviceConnection& Of(uint64_t user);

  asio::io_context& io_;
  const uint16_t port_;
  const std::map<SessionKey, api::Authorization> sessions_;
  uint64_t& pending_;
  std::unordered_map<uint64_t, std::unique_ptr<DeviceConnection>> devices_;  // by user
  std::unordered_set<uint64_t> syncing_;                                     // users connecting, in pending_
  std::unordered_map<uint64_t, std::function<void()>> sends_;                // by random_id, in pending_
  uint64_t next_random_id_ = 1;
};

}  // namespace msgbed::live
