// SecretChats: one device's secret chats, end to end (docs/secret-chats.md).
// Sans-IO like Device, beside it: requests go out through Device::Request,
// every server frame comes in through OnFrame (the host passes on
// Device::Observer::OnServerFrame), keys and nonces are drawn from the
// host's secret bytes, and timers run on the Device's Link.
//
// The protocol, per chat (one device on each side; the server relays
// sealed bytes and never holds a key):
//   - Key agreement: the admin sends an X25519 key g_a signed with its
//     Ed25519 identity; one device of the participant accepts with g_b,
//     signed. Each side checks the other's signature, and the chat key is
//     keyed BLAKE2b of the shared secret and both keys. The fingerprint
//     (hex, emoji) is what the two users compare.
//   - Messages: a secret.Payload sealed with XChaCha20-Poly1305 under a
//     fresh nonce, the chat id, the key's generation and the sender's side
//     authenticated with it. A payload that does not open is dropped and
//     reported (OnRejected), never shown.
//   - Order: payloads carry the sender's seq. One at or below the last
//     shown is a replay and ignored; one past a gap waits while a Resend
//     asks for the missing ones.
//   - Re-keying: after kRekeyMessages payloads under a key or kRekeyAge,
//     the admin proposes a new key (REQUEST), the participant answers
//     (ACCEPT) and sends under it; the admin switches and says so
//     (COMMIT). Each side wipes the old key as soon as nothing can still
//     come under it.
//   - Self-destruct: a text with ttl_s is deleted on each device ttl_s
//     after that device has it (the sender's when sent, the receiver's when
//     received): OnExpired, and the text is wiped.
//   - A chat this device does not know (the app was reinstalled, or it
//     restarted: chats live in memory) that the server says was accepted,
//     or that sends it a payload, is discarded, so the other side learns.
//   - Sends: a payload the server did not take (TIMEOUT, INTERNAL,
//     UNAVAILABLE, FLOOD_WAIT, or a connection that dropped first) is sent
//     again, with the same random_id, after kResendDelay or at the next
//     Sync; the server relays it once.
//   - Queue: updates queued for this device are taken in qts order (a gap
//     asks GetSecretDifference) and acknowledged (ReceivedQueue), after
//     which the server deletes them.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "client/device.h"
#include "core/time.h"
#include "proto/client_api.pb.h"
#include "proto/secret.pb.h"

namespace msgbed {

class SecretChats {
 public:
  static constexpr uint32_t kRekeyMessages = 100;
  static constexpr Micros kRekeyAge = 7 * 24 * 3600 * kSecond;
  // Sent payloads kept for a Resend (one asked for after that, or expired,
  // is answered with an empty payload of its seq, so the other side's
  // order goes on).
  static constexpr size_t kKeptForResend = 100;
  // The longest text sealed: sealed, it stays far below what the server
  // relays (64 KiB). Telegram's limit is 4096 characters, at most 16 KiB.
  static constexpr size_t kMaxTextBytes = 16 * 1024;
  static constexpr Micros kResendDelay = 2 * kSecond;

  using SecretBytes = std::function<std::string(size_t)>;

  struct Message {
    uint64_t chat = 0;
    uint64_t seq = 0;  // the sender's
    bool mine = false;
    std::string text;  // empty once expired
    uint32_t ttl_s = 0;
    bool expired = false;
  };

  class Observer {
   public:
    virtual ~Observer() = default;
    // Another user asks for a secret chat: Accept or Discard it.
    virtual void OnRequest(SecretChats&, const api::EncryptedChat&) {}
    // The server took this device's Start: the chat's id, waiting for the other side.
    virtual void OnStarted(SecretChats&, const api::EncryptedChat&) {}
    // The key is agreed: both may send.
    virtual void OnReady(SecretChats&, uint64_t /*chat*/) {}
    virtual void OnMessage(SecretChats&, const Message&) {}
    // A text's timer ran out: it is gone from this device.
    virtual void OnExpired(SecretChats&, const Message&) {}
    virtual void OnDiscarded(SecretChats&, uint64_t /*chat*/) {}
    // Something the other side (or the server) sent was refused: a bad
    // signature, a payload that does not open, a key already wiped.
    virtual void OnRejected(SecretChats&, uint64_t /*chat*/, const std::string& /*why*/) {}
    virtual void OnError(SecretChats&, const api::Error&) {}
  };

  // REQUIRES: device and observer outlive this, and this outlives the
  // device's timers (Link::After). The identity key is drawn here.
  SecretChats(Device* device, SecretBytes secret_bytes, Observer* observer);

  // Asks peer_user for a secret chat with this device; OnReady once one of
  // its devices accepted.
  void Start(uint64_t peer_user);
  // False if no request with that id waits on this device.
  bool Accept(uint64_t chat);
  // Ends the chat on both sides (or declines a request).
  void Discard(uint64_t chat);
  // Seals and sends text; false if the chat is not ready or the text is
  // empty or longer than kMaxTextBytes. ttl_s: the chat's timer (SetTimer) if 0.
  bool Send(uint64_t chat, const std::string& text, uint32_t ttl_s = 0);
  // The chat's timer for texts sent from now on, told to the other side too.
  bool SetTimer(uint64_t chat, uint32_t ttl_s);
  // After each (re)connect: fetches what is queued for this device, and
  // sends again what the server did not take on the last connection.
  void Sync();
  // Takes every server frame; true if it was the secret chats' (a push,
  // or the answer to one of their requests, errors included).
  bool OnFrame(const api::ServerFrame& frame);

  // What both users compare; empty until the key is agreed.
  std::string FingerprintHex(uint64_t chat) const;
  std::vector<std::string> FingerprintEmoji(uint64_t chat) const;
  // The chat's texts on this device, in order; nullptr for no such chat.
  const std::vector<Message>* Messages(uint64_t chat) const;
  bool Ready(uint64_t chat) const;
  uint64_t Generation(uint64_t chat) const;
  // Payloads taken out of order, twice, or not opening: counted, never shown.
  uint64_t replays_ignored() const { return replays_; }
  uint64_t rejected() const { return rejected_; }
  uint64_t qts() const { return qts_; }
  const std::string& identity_public() const { return identity_.public_key; }

 private:
  struct Chat {
    api::EncryptedChat info;
    bool admin = false;
    std::string dh_secret;  // until the key is agreed (and during a re-key)
    std::string key, old_key;
    uint64_t generation = 0;
    std::string fingerprint;
    uint64_t out_seq = 0, in_seq = 0;
    uint32_t used = 0;     // payloads under the current key
    int64_t key_date = 0;  // server date when the current key was agreed
    bool rekeying = false;
    uint32_t ttl_s = 0;
    std::map<uint64_t, secret::Payload> early;  // past a gap, by seq
    std::map<uint64_t, secret::Payload> sent;   // the last kKeptForResend, by seq
    std::vector<Message> messages;
  };
  enum class Asked { kStart, kAccept, kSend, kSync, kOther };
  struct Pending {
    Asked what = Asked::kOther;
    uint64_t chat = 0;
    std::string dh_secret;   // kStart: the key g_a is of
    uint64_t random_id = 0;  // kSend
  };
  // A sealed payload the server has not taken yet, by random_id.
  struct Unacked {
    uint64_t chat = 0, seq = 0;
    std::string data;
  };
  void SendUnacked(uint64_t random_id);
  // Asks for the queue unless a request for it is out already.
  void SyncIfIdle();

  void OnChat(const api::EncryptedChat& chat);
  void OnEncrypted(const api::EncryptedMessage& m);
  void OnUpdate(const api::SecretUpdate& update);
  void OnDifference(const api::SecretDifference& diff);
  void OnAnswer(Pending pending, const api::ServerFrame& frame);
  // Checks the other side's signature and derives the chat key from
  // dh_secret and the keys in chat.info (then wipes dh_secret).
  bool Agree(Chat& chat);
  void TakeQueued(const api::SecretUpdate& update);
  void Transmit(Chat& chat, secret::Payload payload);
  void SendPayload(Chat& chat, secret::Payload body);
  void Take(Chat& chat, secret::Payload payload, int64_t date_us);
  void TakeRekey(Chat& chat, const secret::Rekey& rekey);
  void MaybeRekey(Chat& chat, int64_t date_us);
  void Show(Chat& chat, Message message);
  void Expire(uint64_t chat, uint64_t seq, bool mine);
  void Acknowledge();
  uint64_t Ask(api::ClientFrame frame, Pending pending);
  void Refuse(Chat& chat, const std::string& why);
  // A chat the server knows and this device does not: discarded.
  void Forget(uint64_t chat);
  std::string Ad(const Chat& chat, uint64_t generation, bool from_admin) const;
  std::string Signed(const std::string& key) const;

  Device* device_;
  SecretBytes secret_bytes_;
  Observer* observer_;
  struct KeyPair {
    std::string public_key, secret_key;
  } identity_;
  std::map<uint64_t, Chat> chats_;
  std::map<uint64_t, Pending> pending_;  // request id -> what it asked
  std::map<uint64_t, Unacked> unacked_;
  uint64_t qts_ = 0;
  bool syncing_ = false;
  uint64_t replays_ = 0;
  uint64_t rejected_ = 0;
};

}  // namespace msgbed
