// Device: one client device's protocol state machine, sans-IO. The host
// (a terminal client, a load generator, a simulated population) moves bytes
// through Link and reacts to Observer calls.
//
// Update rules (Telegram's pts model): an update (pts, pts_count) applies
// when local_pts + pts_count == pts; is ignored when local_pts + pts_count >
// pts (already applied); and reveals a gap otherwise, which getDifference
// fills. Updates arriving while a getDifference is in flight are buffered
// and applied in pts order after it.
//
// Guarantee to the Observer: OnDelivered is called exactly once per message
// of the box that this device did not send itself, in pts order.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "proto/client_api.pb.h"

namespace msgbed {

class Device {
 public:
  class Link {
   public:
    virtual ~Link() = default;
    virtual void SendFrame(const api::ClientFrame& frame) = 0;
  };
  class Observer {
   public:
    virtual ~Observer() = default;
    // Every frame from the server, before the device acts on it.
    virtual void OnServerFrame(Device&, const api::ServerFrame&) {}
    virtual void OnSignedIn(Device&) {}
    virtual void OnDelivered(Device&, const api::Message&) {}
    virtual void OnSent(Device&, const api::SentMessage&) {}
    // A SendText was refused or failed (then OnError follows for it too).
    virtual void OnSendFailed(Device&, uint64_t /*random_id*/, const api::Error&) {}
    // A getDifference round finished: the device is up to date as of the server's read.
    virtual void OnSynced(Device&) {}
    virtual void OnError(Device&, const api::Error&) {}
  };

  // kSignInFailed: the server refused or timed out the sign-in (the
  // observer got the error); Connected() tries again.
  enum class State { kOffline, kSigningIn, kSignInFailed, kSyncing, kReady };

  // REQUIRES: link and observer outlive the Device.
  Device(uint64_t user, uint64_t device, Link* link, Observer* observer);

  // The transport connected: signs in, then catches up with getDifference.
  void Connected();
  // The transport is gone. Keeps pts; buffered updates are dropped
  // (getDifference after the next Connected() returns them again).
  void Disconnected();

  // Sends text to peer. random_id makes retries idempotent. REQUIRES: online.
  void SendText(uint64_t peer, const std::string& text, uint64_t random_id);
  // Tells the gateway the connection is alive (it closes idle ones). The
  // host calls it more often than the gateway's idle timeout.
  void Ping();

  void OnFrame(const api::ServerFrame& frame);

  uint64_t user() const { return user_; }
  uint64_t device() const { return device_; }
  uint64_t pts() const { return pts_; }
  State state() const { return state_; }
  uint64_t duplicates_ignored() const { return duplicates_; }

 private:
  enum class Applied { kApplied, kDuplicate, kGap };
  void Process(const api::UpdateNewMessage& update);
  Applied Apply(const api::UpdateNewMessage& update);
  void RequestDifference();
  void OnDifference(const api::Difference& diff);
  void DrainBuffer();
  void Ack();
  void Send(api::ClientFrame frame);

  const uint64_t user_;
  const uint64_t device_;
  Link* const link_;
  Observer* const observer_;

  State state_ = State::kOffline;
  uint64_t pts_ = 0;
  uint64_t acked_pts_ = 0;
  uint64_t next_request_id_ = 1;
  uint64_t sign_in_request_id_ = 0;  // of the sign-in awaiting an answer
  uint64_t duplicates_ = 0;
  std::vector<api::UpdateNewMessage> buffer_;  // while not kReady
  std::set<uint64_t> own_in_flight_;           // random_ids this device sent, not yet in its box view
  std::map<uint64_t, uint64_t> sends_;         // request id -> random_id, until answered
};

}  // namespace msgbed
