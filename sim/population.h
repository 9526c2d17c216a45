// Population: many simulated devices in one actor. Each device is the real
// client state machine (impl/client/Device) connected to this population's
// gateway; the population connects them on schedule, sends what the
// Workload offers them, and reports what the devices observe to the
// Recorder.
//
// Device i of the run (0-based, over users x devices_per_user) lives in
// population i % gateways. Its k-th connection (from 0) has id
// i + 1 + k * devices on that gateway: never reused within a run.
//
// A connection the gateway closes (or refuses, being down) is made again
// after a growing, jittered delay (1 s doubling to 30 s, times 0.5-1.5,
// from the population's own random stream), as a real client reconnects.
// With workload.sessions, each connection lasts an exponential session
// and the device then stays away for an exponential gap before it comes
// back and catches up (the "sessions/<gateway>" stream). A push
// notification that reaches a device while it is away wakes it: it
// connects in the background, syncs, and hangs up again, staying away
// until its gap ends (docs/messaging.md, "Push").
#pragma once

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "client/device.h"
#include "client_side.h"
#include "core/env.h"
#include "core/rng.h"
#include "recorder.h"
#include "service_time.h"

namespace msgbed::sim {

class ServiceNode;

// The push token of device i of the run (each device registers one), and
// back; false if token is not one.
std::string PushToken(uint64_t device_index);
bool ParsePushToken(const std::string& token, uint64_t* device_index);

class Population final : public ClientSide, public Device::Observer {
 public:
  Population(World* world, uint32_t gateway, const Placement& at);

  // REQUIRES: before Begin(). The device, signed in as session, connects
  // at `connect_at` seconds.
  void AddDevice(api::Authorization session, uint64_t global_index, double connect_at);
  // Schedules the connects.
  void Begin(ServiceNode* gateway);
  // Device `index` (of this population) sends a message now, or once it is
  // signed in and up to date.
  void Offer(size_t index, uint64_t peer, uint64_t random_id);

  // workload.actions: device `index`, if up to date, edits or deletes (for
  // everyone) its last message, marks the chat it last received a message
  // in read, or forwards that message to `forward_to` (a user or a basic
  // group) as random_id.
  void Act(size_t index, Recorder::Action action, uint64_t forward_to, uint64_t random_id);

  // workload.channels: device `index` posts to channel now, if it is up to
  // date; returns whether it did.
  bool PostToChannel(size_t index, uint64_t channel, uint64_t random_id);

  // workload.media: whether device `index` is connected and up to date; a
  // request from it (Device::Request, its id returned); a document it sends
  // to user peer, recorded as a message.
  bool Ready(size_t index) const;
  uint64_t Request(size_t index, api::ClientFrame frame);
  void SendDocument(size_t index, uint64_t peer, const api::Document& document, uint64_t random_id);

  // workload.bots: device `index` (REQUIRES: ready) writes text to bot as
  // random_id, not recorded as a chat message (BotTraffic counts it).
  void SendToBot(size_t index, uint64_t bot, const std::string& text, uint64_t random_id);

  // workload.sign_ins: device `index`, if online and up to date, loses its
  // session and signs in again by phone (a code by SMS, its password if
  // its user has one).
  void Relogin(size_t index);
  // An SMS reaches phone m.to at `at`: a device of this population waiting
  // for a code there types it in.
  void SmsArrived(const OutboundMessage& m, double at);
  // A push notification reaches device `index` (of this population) at `at`.
  void PushArrived(size_t index, double at);

  // ClientSide: the gateway's frames and closes.
  void OnServiceFrame(ConnId conn, const api::ServerFrame& frame) override;
  void OnClosed(ConnId conn) override;

  // Device::Observer
  void OnSignedIn(Device& d) override;
  void OnDelivered(Device& d, const api::Message& m) override;
  void OnSent(Device& d, const api::SentMessage& s) override;
  void OnForwardStored(Device& d, const api::Message& m) override;
  void OnBoxUpdate(Device& d, const api::Update& u) override;
  void OnSynced(Device& d) override;
  void OnError(Device& d, const api::Error& e) override;
  void OnSendFailed(Device& d, uint64_t random_id, const api::Error& e) override;
  void OnSignInNeeded(Device& d) override;
  void OnAuthorized(Device& d, const api::Authorization& a) override;
  void OnServerFrame(Device& d, const api::ServerFrame& f) override;

  struct SimDevice final : Device::Link {
    SimDevice(Population* p, api::Authorization session, ConnId conn, double connect_at, Device::RetryPolicy policy)
        : pop(p),
          user(session.user_id()),
          first_device(session.device_id()),
          added(session.credential().empty()),
          base_conn(conn),
          conn(conn),
          connect_at(connect_at),
          core(std::move(session), this, p, policy) {}
    void SendFrame(const api::ClientFrame& frame) override;
    void After(Micros delay, std::function<void()> fn) override;
    // Its network address, as the gateway sees it: one per device.
    std::string Source() const { return "device-" + std::to_string(base_conn); }
    // When its UI shows what it was delivered at `now`: its next render
    // tick (ticks of workload.ui_tick, each device at its own phase).
    double VisibleAt(double now) const;
    // Its next sync is an offline catch-up (sampled in offline_catch_up):
    // it joined after the initial ramp and has not synced yet, or is back
    // from a time away.
    bool CatchingUp(double connect_ramp) const { return returning || (!synced_once && connect_at > connect_ramp); }

    Population* pop;
    uint64_t user;          // for good: a new session keeps the user
    uint64_t first_device;  // the session it started with (a sign-in gives it a new id)
    bool added;             // the user added it during the run, and it has not signed in yet
    ConnId base_conn;       // of the first connection
    ConnId conn;            // of the current (or last) connection
    double connect_at;
    uint32_t reconnects = 0;   // in a row, since the last sign-in
    double connected_at = -1;  // -1 until connected
    bool synced_once = false;
    bool away = false;                                // offline between sessions (workload.sessions)
    bool returning = false;                           // back from away, not yet caught up
    bool waking = false;                              // away, connected in the background by a push
    double woken_at = 0;                              // when the push that woke it arrived
    bool register_push = false;                       // a new session: register its token once synced
    uint64_t push_request = 0;                        // ... by this request, not yet answered
    std::vector<std::pair<uint64_t, uint64_t>> held;  // (peer, random_id) offered before it was ready
    uint64_t sends_accepted = 0;
    uint64_t last_sent_id = 0;   // its last message acknowledged, not deleted since (0: none)
    uint64_t last_chat = 0;      // the chat of the last message it was delivered: sender or basic group
    uint64_t last_received = 0;  // ... that message's id in its box
    uint32_t edits = 0;
    std::unordered_map<uint64_t, Recorder::Action> actions;  // by request id, awaiting their answer
    bool action_failed = false;                              // the frame being handled is an action's error
    uint64_t delivered = 0;                                  // updates of its box it was told, but its own sends
    uint64_t shown_pts = 0;                                  // pts when it last showed a message
    double signing_in_since = -1;                            // a phone sign-in under way since then; -1: none
    bool holds_phone = false;                                // its sign-in has the user's phone (World::signing_in)
    uint32_t code_tries = 0;                                 // codes asked for in this sign-in
    double next_code_at = 0;                                 // not before (a FLOOD_WAIT, or the retry delay)
    double code_asked_at = 0;                                // the last code request
    ConnId pinging = 0;                                      // the connection its keep-alive pings run on, 0: none
    Device core;
  };
  const std::vector<std::unique_ptr<SimDevice>>& devices() const { return devices_; }

 private:
  // The device whose connection conn is, or was.
  SimDevice& ByConn(ConnId conn);
  SimDevice& Of(Device& d);
  void Connect(SimDevice& dev);
  void Send(SimDevice& from, uint64_t peer, uint64_t random_id);
  // Ends dev's session on connection conn (if it is still the current one)
  // and brings the device back after its time away.
  void Leave(SimDevice& dev, ConnId conn);
  // With workload.sessions, ends dev's session on conn after a drawn time.
  void ScheduleLeave(SimDevice& dev, ConnId conn);
  // A push reached dev: if it is away and not connected, it syncs in the
  // background.
  void Wake(SimDevice& dev);
  // Closes dev's connection from its side.
  void Hangup(SimDevice& dev);
  // Asks a code for dev's phone now, or (retry) after a growing delay.
  void AskCode(SimDevice& dev, double after = 0);
  void WaitForPhone(SimDevice& dev);
  // Pings every 10 s on conn while dev waits signed out there.
  void KeepAlive(SimDevice& dev, ConnId conn);
  // A sign-in step failed with e: retried as a real app would.
  void SignInFailed(SimDevice& dev, const api::Error& e);

  const uint32_t gateway_index_;
  ServiceNode* gateway_ = nullptr;
  const ServiceTime* client_frame_cost_ = nullptr;  // CPU a client frame costs the gateway
  std::vector<std::unique_ptr<SimDevice>> devices_;
  uint64_t conn_stride_ = 0;  // devices in the run
  Rng jitter_;
  Rng sessions_;
  std::unordered_map<std::string, SimDevice*> awaiting_code_;  // by phone digits
};

}  // namespace msgbed::sim
