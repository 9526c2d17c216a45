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
// Sign-in (docs/auth.md): a device holds a session (api::Authorization:
// user, device id, credential). With one, every Connected() resumes it
// (ResumeSession) and then syncs; if the server says the session is gone
// (SESSION_REVOKED, or AUTH_KEY_UNREGISTERED to the resume) the device
// forgets it and waits signed out. Without one, the host drives the phone
// sign-in: RequestCode, then SubmitCode with the code the SMS brought
// (SignUp instead if the error was PHONE_NUMBER_UNOCCUPIED), then
// SubmitPassword after SESSION_PASSWORD_NEEDED; the Authorization that
// ends it goes to the observer (to keep) and is resumed at once.
//
// Guarantee to the Observer: OnDelivered is called exactly once per message
// of the box that this device did not send itself, and OnBoxUpdate once per
// other update (edit, deletion, read mark), all in pts order.
//
// Retries, as a real client makes them (RetryPolicy): a sign-in or a
// getDifference that fails with a transient error (TIMEOUT, UNAVAILABLE,
// INTERNAL, FLOOD_WAIT) is asked again after a growing delay, for as long
// as the connection lasts. A send that fails transiently, or whose
// connection drops before the answer, is sent again with the same random_id
// (idempotent on the server): after a delay, or once the device is synced
// on its next connection; after max_send_attempts it is given up
// (OnSendFailed). Reconnecting is the host's part: it owns the transport.
//
// Channels and supergroups: the box tells the device which channels its
// user is in (Update CHANNEL); each channel's box has its own pts, which
// the device keeps by the same rules, catching up with getChannelDifference
// after joining, after syncing its box on a new connection or after a
// quiet period, and on a gap. A
// difference that is too long restarts the channel at its current pts with
// its latest messages. A channel left and joined again goes on from the pts
// where it was left: nothing is shown twice.
//
// Pushes are best effort (a link may lose one, and only the next update
// would reveal the gap): a ready device that heard no update for a whole
// quiet_resync period asks getDifference anyway, so a lost push delays a
// message by at most twice that period instead of forever.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "core/time.h"
#include "proto/client_api.pb.h"

namespace msgbed {

// How a Device retries (see above). Delays double from first_delay up to
// max_delay; FLOOD_WAIT waits what the server asked.
struct DeviceRetryPolicy {
  Micros first_delay = kSecond;
  Micros max_delay = 30 * kSecond;
  uint32_t max_send_attempts = 5;
  Micros quiet_resync = 30 * kSecond;  // 0: never
  // Updates are acknowledged at most once per ack_delay, the highest pts
  // then (0: after every frame). Real clients batch acks.
  Micros ack_delay = 0;
};

class Device {
 public:
  class Link {
   public:
    virtual ~Link() = default;
    virtual void SendFrame(const api::ClientFrame& frame) = 0;
    // Runs fn once, `delay` from now, on the device's thread, unless the
    // Device is gone by then.
    virtual void After(Micros delay, std::function<void()> fn) = 0;
  };
  using RetryPolicy = DeviceRetryPolicy;
  class Observer {
   public:
    virtual ~Observer() = default;
    // Every frame from the server, before the device acts on it.
    virtual void OnServerFrame(Device&, const api::ServerFrame&) {}
    virtual void OnSignedIn(Device&) {}
    // A new session: the host keeps it to resume it after a restart.
    virtual void OnAuthorized(Device&, const api::Authorization&) {}
    virtual void OnCodeSent(Device&, const api::SentCode&) {}
    // Connected without a session, or the session ended (revoked): the
    // host may start a phone sign-in (RequestCode).
    virtual void OnSignInNeeded(Device&) {}
    virtual void OnDelivered(Device&, const api::Message&) {}
    // An edit, a deletion or a read mark, applied in pts order.
    virtual void OnBoxUpdate(Device&, const api::Update&) {}
    virtual void OnSent(Device&, const api::SentMessage&) {}
    // A forward this device asked for (Request) is in its box: told once,
    // by the answer or, if that was lost, by a later sync.
    virtual void OnForwardStored(Device&, const api::Message&) {}
    // A SendText was refused or failed (then OnError follows for it too).
    virtual void OnSendFailed(Device&, uint64_t /*random_id*/, const api::Error&) {}
    // A getDifference round finished: the device is up to date as of the server's read.
    virtual void OnSynced(Device&) {}
    virtual void OnError(Device&, const api::Error&) {}
  };

  // kSignedOut: connected without a session (sign in with a code).
  // kSigningIn: resuming its session. kSignInFailed: the server refused or
  // timed out the resume (the observer got the error); transient failures
  // are retried, Connected() tries again.
  enum class State { kOffline, kSignedOut, kSigningIn, kSignInFailed, kSyncing, kReady };

  // REQUIRES: link and observer outlive the Device. session: one kept from
  // an earlier sign-in, or empty.
  Device(api::Authorization session, Link* link, Observer* observer, RetryPolicy retry = {});

  // The transport connected: resumes the session, then catches up with
  // getDifference; without a session, waits in kSignedOut.
  void Connected();

  // Forgets the session (it expired, or the app was reinstalled): the next
  // Connected() waits signed out. REQUIRES: offline.
  void ForgetSession() { session_.Clear(); }

  // Phone sign-in, in kSignedOut (each answer reaches the observer).
  void RequestCode(const std::string& phone);
  // The code from the SMS for the last RequestCode (sent once its answer,
  // with the code's hash, has come).
  void SubmitCode(const std::string& code, const api::ClientInfo& client);
  // After PHONE_NUMBER_UNOCCUPIED: a new account with the same code.
  void SignUp(const std::string& first_name, const std::string& last_name);
  // After SESSION_PASSWORD_NEEDED.
  void SubmitPassword(const std::string& password);
  // ... or, the password forgotten: a code to the recovery email
  // (answered with PasswordRecovery), then that code, which removes the
  // password and signs in.
  void RequestPasswordRecovery();
  void SubmitRecoveryCode(const std::string& code);
  // The transport is gone. Keeps pts and the sends not yet answered;
  // buffered updates are dropped (getDifference after the next Connected()
  // returns them again).
  void Disconnected();

  // Sends text to user peer (or, SendToChat, to a basic group). random_id
  // makes retries idempotent. REQUIRES: ready (signed in and synced).
  void SendText(uint64_t peer, const std::string& text, uint64_t random_id);
  void SendToChat(uint64_t chat_id, const std::string& text, uint64_t random_id);
  void SendToChannel(uint64_t channel_id, const std::string& text, uint64_t random_id);
  // Sends a stored file (docs/media.md) to user peer, with a caption (may be empty).
  void SendDocument(uint64_t peer, const api::Document& document, const std::string& caption, uint64_t random_id);
  // Any other request (edit, delete, read, groups): sent as it is, with the
  // next request id, which it returns. The answer reaches the observer
  // (OnServerFrame, and OnError for an error); no retry. A forward's copy
  // in the box is this device's own message, not OnDelivered.
  uint64_t Request(api::ClientFrame frame);
  // Tells the gateway the connection is alive (it closes idle ones). The
  // host calls it more often than the gateway's idle timeout.
  void Ping();

  void OnFrame(const api::ServerFrame& frame);

  uint64_t user() const { return session_.user_id(); }
  uint64_t device() const { return session_.device_id(); }
  const api::Authorization& session() const { return session_; }
  Link* link() const { return link_; }
  uint64_t pts() const { return pts_; }
  // Times the server's retention had expired updates this device had not
  // seen, so it started again at the box's pts (Difference.too_long).
  uint64_t too_long_resets() const { return too_long_resets_; }
  // Times the server's box was behind this device (it lost updates the
  // device has: a store lost without a store tier), so the device started
  // again at the box's pts rather than take new updates for old ones.
  uint64_t rewinds() const { return rewinds_; }
  // A channel's pts on this device; 0 if it is not in the channel.
  uint64_t channel_pts(uint64_t channel) const {
    auto it = channels_.find(channel);
    return it == channels_.end() ? 0 : it->second.pts;
  }
  size_t channels() const { return channels_.size(); }
  State state() const { return state_; }
  uint64_t duplicates_ignored() const { return duplicates_; }
  // Sends not yet answered (in flight or waiting to be sent again).
  size_t unanswered() const { return outbox_.size(); }
  uint64_t retries() const { return retries_; }
  // getDifference rounds asked because no update came for a quiet period.
  uint64_t quiet_resyncs() const { return quiet_resyncs_; }

 private:
  enum class Applied { kApplied, kDuplicate, kGap };
  void Process(const api::Update& update);
  Applied Apply(const api::Update& update);
  void RequestDifference();
  void OnDifference(const api::Difference& diff);
  void DrainBuffer();
  void ResendUnanswered();
  void Ack();
  void SendAck();
  // Every quiet_resync on this connection: resyncs if no update came since the last check.
  void CheckQuiet();
  // Sends frame with the next request id; returns that id.
  uint64_t Send(api::ClientFrame frame);
  void SignIn();
  void Transmit(uint64_t random_id);
  void Queue(uint64_t peer, uint64_t chat_id, const std::string& text, uint64_t random_id, uint64_t channel_id = 0);
  // Tells the observer about an applied update.
  void Deliver(const api::Update& update);

  // Channels (device_channels.cc): each has its own pts, kept like the box's.
  struct ChannelState {
    uint64_t pts = 0;
    uint64_t request_id = 0;  // of the getChannelDifference awaiting an answer
    bool syncing = false;
    uint32_t failures = 0;
    uint64_t last_id = 0;             // the highest message id shown
    std::vector<api::Update> buffer;  // while it or the box syncs
  };
  void DrainChannels();
  void DrainChannel(ChannelState& channel);
  void DeliverToChannel(ChannelState& channel, const api::Update& update);
  void OnMembership(const api::Update& update);
  void ProcessChannel(const api::Update& update);
  void SyncChannels();
  void RequestChannelDifference(uint64_t channel);
  void OnChannelDifference(const api::ChannelDifference& diff);
  // Handles a failed getChannelDifference; false if request_id was none.
  bool ChannelRequestFailed(uint64_t request_id, const api::Error& error);
  void OnRequestFailed(uint64_t request_id, const api::Error& error);
  // Runs fn after delay if this connection is still the current one.
  void Later(Micros delay, std::function<void()> fn);
  Micros Backoff(uint32_t attempt, const api::Error& error) const;

  struct Outgoing {
    uint64_t peer;
    uint64_t chat_id;
    uint64_t channel_id;
    std::string text;
    uint64_t seq;  // order of the first SendText
    std::shared_ptr<const api::Document> document = nullptr;
    uint32_t attempts = 0;
    bool backing_off = false;  // waiting out the delay before the next attempt
    uint64_t request_id = 0;   // of the attempt in flight; 0 when none is
  };

  void OnAuthorization(const api::Authorization& session);

  api::Authorization session_;  // no credential: signed out
  // The phone sign-in in progress: apart, as most devices never need it
  // (a simulated run holds millions of devices).
  struct PhoneSignIn {
    std::string phone, code_hash, code;
    api::ClientInfo client;
    bool code_waiting = false;  // typed before SentCode brought the hash
  };
  PhoneSignIn& Pending();
  std::unique_ptr<PhoneSignIn> pending_;
  Link* const link_;
  Observer* const observer_;
  const RetryPolicy retry_;

  State state_ = State::kOffline;
  uint64_t pts_ = 0;
  uint64_t acked_pts_ = 0;
  uint64_t too_long_resets_ = 0;
  uint64_t rewinds_ = 0;
  bool ack_due_ = false;  // an ack is scheduled on this connection
  uint64_t next_request_id_ = 1;
  uint64_t sign_in_request_id_ = 0;     // of the sign-in awaiting an answer
  uint64_t difference_request_id_ = 0;  // of the getDifference awaiting an answer
  uint32_t sign_in_failures_ = 0;       // in a row, on this connection
  uint32_t difference_failures_ = 0;
  uint64_t connection_ = 0;  // bumps at every Connected() and Disconnected(): older timers are void
  uint64_t duplicates_ = 0;
  uint64_t retries_ = 0;
  uint64_t quiet_resyncs_ = 0;
  uint64_t updates_since_check_ = 0;
  uint64_t next_send_seq_ = 0;
  std::vector<api::Update> buffer_;            // while not kReady
  std::set<uint64_t> own_in_flight_;           // random_ids this device sent, not yet in its box view
  std::set<uint64_t> forwards_;                // of those, forwards (Request): OnForwardStored, not OnSent
  std::map<uint64_t, uint64_t> sends_;         // request id -> random_id, until answered
  std::map<uint64_t, Outgoing> outbox_;        // random_id -> send, until answered or given up
  std::map<uint64_t, ChannelState> channels_;  // the channels the box says the user is in
  // Channels left: (pts, last shown id) when it left, resumed on a rejoin.
  std::map<uint64_t, std::pair<uint64_t, uint64_t>> left_channels_;
  // The channels may have moved unseen (a new connection, a quiet period):
  // the next finished sync of the box asks each for its difference. A gap
  // in the box alone says nothing about the channels.
  bool channels_stale_ = false;
};

}  // namespace msgbed
