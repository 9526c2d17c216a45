// GatewayService: the connection layer. Holds client connections (the
// runtime owns the sockets; this core sees ConnIds), signs them in, and
// forwards each request to the service that owns it. Until a connection is
// signed in it carries only sign-in traffic (and Ping):
//   SendCode, SignIn, SignUp -> auth(phone)       auth.SendCode / auth.SignIn
//   CheckPassword            -> auth(user)        auth.CheckPassword, with the
//                                                 ticket kept from PasswordNeeded
//   ResumeSession            -> auth(user)        auth.Resume, then
//                               bus(user)         sync.DeviceOnline, a call answered
//                                                 SignedIn by the user's sync
// and once signed in:
//   SendMessage, GetDifference      -> messages(owner of the user's box)
//   UpdatesAck                      counted here
//   GetAuthorizations, ResetAuthorization, GetPassword, UpdatePassword
//                                   -> auth(user)
//   Ping                            answered here with Pong
// and writes pushed updates (gateway.Push) to their connections. A closed
// signed-in connection is published as sync.DeviceOffline. Sync asks which
// signed-in connections belong to users of some bus partitions when it
// takes them over (sync.PresenceQuery); auth closes a terminated session's
// connections (gateway.CloseSession).
//
// Isolation: a connection is named to other services by a ClientRef
// (gateway, epoch, conn, user, device). The epoch is a durable counter
// bumped at every start, so connection ids reused after a restart never
// match an old ref; a push is written only when its ref matches the
// connection's signed-in user and device. A push to a ref that matches
// nothing is answered with sync.ConnectionGone so the pusher forgets it.
//
// Every forwarded request is answered: by its service, or with TIMEOUT
// when the call's deadline (GatewayLimits::request_timeout) passes.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

#include "core/cluster.h"
#include "core/service.h"
#include "gateway/bus_backpressure.h"
#include "gateway/token_bucket.h"
#include "proto/auth.pb.h"
#include "proto/gateway.pb.h"
#include "proto/sync.pb.h"

namespace msgbed {

// What a gateway bounds, and the defaults a deployment gets.
struct GatewayLimits {
  // A connection not signed in that sends nothing (not even Ping) this
  // long is closed.
  Micros sign_in_timeout = 30 * kSecond;
  // A signed-in connection that sends nothing (not even Ping) this long is
  // closed; 0 keeps idle connections forever.
  Micros idle_timeout = 300 * kSecond;
  // A forwarded request unanswered this long gets TIMEOUT.
  Micros request_timeout = 10 * kSecond;
  // Connections beyond this are answered UNAVAILABLE and closed.
  uint32_t max_connections = 10000;
  // Requests awaiting an answer per connection; more get FLOOD_WAIT.
  uint32_t max_in_flight = 64;
  // Requests per second per connection, after a burst of request_burst;
  // more get FLOOD_WAIT with the seconds to wait (a token bucket).
  uint32_t request_rate = 1000;
  uint32_t request_burst = 2000;
  // Per source address, over all its connections: a cap on connections
  // (more are answered UNAVAILABLE and closed), and a request budget as
  // above, so that opening more connections buys no more requests.
  uint32_t max_connections_per_source = 100;
  uint32_t source_request_rate = 5000;
  uint32_t source_request_burst = 10000;
  // New messages to users whose bus partition reaches sync at least this
  // late get FLOOD_WAIT (BusBackpressure); 0: never shed.
  Micros shed_behind = 10 * kSecond;
};

class GatewayService final : public Service {
 public:
  // REQUIRES: env->Clients() != nullptr.
  GatewayService(Env* env, ClusterShape shape, GatewayLimits limits = {});

  void Register(Handlers& handlers) override;
  void OnReshape(const ClusterShape& now) override { shape_ = now; }
  void OnClientOpened(ConnId conn, std::string_view source) override;
  void OnClientFrame(ConnId conn, const api::ClientFrame& frame) override;
  void OnClientClosed(ConnId conn) override;

  size_t connections() const { return sessions_.size(); }
  uint64_t epoch() const { return epoch_; }

 private:
  // The connections from one address, while it has any.
  struct Source {
    uint32_t connections = 0;
    TokenBucket budget;  // source_request_rate, source_request_burst
  };
  struct Session {
    uint64_t user = 0;  // 0 until its session is resumed
    uint64_t device = 0;
    bool resuming = false;     // ResumeSession in progress: nothing else is taken
    uint64_t ticket_user = 0;  // a sign-in waiting for its password (auth.PasswordNeeded)
    std::string ticket;
    Micros last_active = 0;
    TimerId sign_in_timer = 0;  // 0: none running
    uint32_t in_flight = 0;
    uint32_t file_ranges = 0;                                // GetFile calls in flight (kMaxFileRanges)
    bool closing = false;                                    // CloseClient called; frames are ignored
    TokenBucket budget;                                      // request_rate, request_burst
    std::pair<const std::string, Source>* source = nullptr;  // in sources_
  };
  // Takes a request's token from s and from its source; false, with the
  // seconds until one is due in *wait_s, if either has none left.
  bool TakeToken(Session& s, uint32_t* wait_s);

  // What a forwarded request's answer means to the connection.
  // GetFile calls one connection may have in flight: 4 x 512 KiB stays
  // well inside clients.max_outbound_bytes (4 MiB).
  static constexpr uint32_t kMaxFileRanges = 4;
  enum class Step : uint8_t {
    kRequest,    // the answer goes to the client as it is
    kSignIn,     // SignIn, SignUp, CheckPassword, RecoverPassword: PasswordNeeded keeps a ticket
    kResume,     // auth.Resume: Resumed goes on to sync
    kOnline,     // sync.DeviceOnline: SignedIn completes the sign-in
    kFileRange,  // media.GetFile: one of the connection's ranges in flight
  };

  void OnPush(const Incoming& in, const gateway::Push& push);
  void OnCloseConnection(const Incoming& in, const gateway::CloseConnection& req);
  void OnCloseSession(const Incoming& in, const gateway::CloseSession& req);
  void OnPresenceQuery(const Incoming& in, const sync::PresenceQuery& req);
  void OnBehind(const Incoming& in, const sync::Behind& report);
  // Seconds a new message in frame must wait for the bus (0: none).
  uint32_t BusWait(const Session& s, const api::ClientFrame& frame) const;
  void SignInTraffic(ConnId conn, Session& s, const api::ClientFrame& frame);
  void PasswordStepTraffic(ConnId conn, Session& s, const api::ClientFrame& frame);
  void SignedInTraffic(ConnId conn, Session& s, const api::ClientFrame& frame);
  // Forwards a media request and returns true; false for any other frame.
  bool MediaTraffic(ConnId conn, Session& s, const api::ClientFrame& frame);
  template <typename Req, typename Api>
  void ForwardAs(ConnId conn, Session& s, uint64_t id, const Address& to, const Api& request, Api* (Req::*field)(),
                 Step step = Step::kRequest);
  // Calls `to` with body for the client's request, if its rate and
  // in-flight limits allow; answers the client with the reply, or TIMEOUT
  // / UNAVAILABLE.
  void Forward(ConnId conn, Session& s, uint64_t client_request_id, const Address& to, Body body,
               Step step = Step::kRequest);
  void Call(ConnId conn, Session& s, uint64_t client_request_id, const Address& to, Body body, Step step);
  void GoOnline(ConnId conn, Session& s, uint64_t client_request_id, const auth::Resumed& resumed);
  void Answer(ConnId conn, uint64_t client_request_id, Step step, const CallResult& result);
  void ResetSignIn(ConnId conn, Session& s);
  // Publishes that s's device is no longer reachable on conn.
  void GoOffline(ConnId conn, const Session& s);
  void StartSignInTimer(ConnId conn, Session& s);
  void SweepIdle();
  // Sends an error frame and closes the connection.
  void Close(ConnId conn, Session& s, api::ErrorCode code, const std::string& why);
  void Reject(ConnId conn, uint64_t request_id, api::ErrorCode code, const char* why, uint32_t retry_after_s = 0);
  rpc::ClientRef RefOf(ConnId conn, const Session& s) const;
  // The session ref names, if it names one here; nullptr otherwise.
  Session* Match(const rpc::ClientRef& ref);

  Env* env_;
  ClientPort* clients_;
  ClusterShape shape_;  // the newest (OnReshape)
  const GatewayLimits limits_;
  uint64_t epoch_ = 0;
  // Hash maps: a gateway holds hundreds of thousands of connections, and
  // a tree's lookups miss the cache at every level. Elements never move,
  // so a session keeps a pointer to its source.
  std::unordered_map<ConnId, Session> sessions_;
  std::unordered_map<std::string, Source> sources_;
  BusBackpressure backpressure_;
  bool sweeping_ = false;
};

// Wraps the client's request in the service's message, with the
// connection's ref, and forwards it to the owner of the signed-in user.
template <typename Req, typename Api>
void GatewayService::ForwardAs(ConnId conn, Session& s, uint64_t id, const Address& to, const Api& request,
                               Api* (Req::*field)(), Step step) {
  auto req = NewBody<Req>();
  *req->mutable_client() = RefOf(conn, s);
  if (field) *((*req).*field)() = request;
  Forward(conn, s, id, to, std::move(req), step);
}

}  // namespace msgbed
