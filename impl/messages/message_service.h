// MessageService: the message handling service. Each instance owns the
// message boxes of the users BoxOwner (messages/placement.h) maps to it.
//
// SendMessage from A to B, handled by A's owner, answered to the gateway's
// call with a ClientAnswer:
//   1. A's box takes the message (pts_A), with a SendRecord keyed by
//      (A, random_id) in the same batch: a repeated request returns the
//      first result instead of a second message.
//   2. NewMessageUpdate(A) goes on the bus.
//   3. B's owner (possibly this instance) appends B's copy (pts_B),
//      idempotently (a call, AppendToBox), and publishes NewMessageUpdate(B).
//      Each chat (A, B) has an outbox in A's store (BoxStore 'o' keys,
//      written with step 1): its messages go to B's box one at a time, in
//      A's order, so both boxes hold the chat in the same order. A failed
//      append is retried by this service (200 ms doubling to 5 s), also
//      after a restart, until B's box has it; no client needs to come back.
//   4. When B's box has it, the sender gets SentMessage. If step 3 fails the
//      sender gets INTERNAL (and a retry with the same random_id waits for
//      the outbox, not for a second append).
#pragma once

#include <cstdint>
#include <map>
#include <vector>

#include "core/cluster.h"
#include "core/service.h"
#include "messages/box_store.h"
#include "proto/messages.pb.h"

namespace msgbed {

// Longest text accepted, in Unicode code points (Telegram: 4096 characters).
inline constexpr size_t kMaxMessageChars = 4096;
// getDifference returns at most this many updates per call...
inline constexpr uint32_t kMaxDifferenceLimit = 1000;
inline constexpr uint32_t kDefaultDifferenceLimit = 100;
// ... and at most this many bytes of them (at least one update), so that a
// slice always fits the 1 MiB frame limit whatever the client asks for: a
// 4096-character message is at most 16 KiB.
inline constexpr size_t kMaxDifferenceBytes = 512 * 1024;
// A peer box that has not answered by then fails the send with INTERNAL
// (the client retries with the same random_id).
inline constexpr Micros kPeerAppendTimeout = 5 * kSecond;
inline constexpr Micros kFirstPeerRetry = 200 * kMillisecond;
inline constexpr Micros kMaxPeerRetry = 5 * kSecond;

class MessageService final : public Service {
 public:
  MessageService(Env* env, ClusterShape shape);

  void Register(Handlers& handlers) override;

  // Sends waiting for a peer box on another instance.
  size_t pending_sends() const { return pending_sends_; }

 private:
  struct Refusal {
    api::ErrorCode code = api::ERROR_NONE;
    const char* why = "";
  };
  // Why send must be refused; code ERROR_NONE if it must not.
  static Refusal Validate(const api::SendMessage& send);

  void HandleSend(const Incoming& in, const messages::SendMessage& req);
  void HandleAppend(const Incoming& in, const messages::AppendToBox& req);
  void HandleGetDifference(const Incoming& in, const messages::GetDifference& req);
  void Resume(const ReplyTo& reply_to, const api::SendMessage& send, const storage::SendRecord& record);

  // Step 3, through the chat's outbox.
  using ChatKey = std::pair<uint64_t, uint64_t>;  // (sender, peer)
  void Enqueue(const storage::SendRecord& record, const ReplyTo& reply_to);
  void Pump(const ChatKey& key);
  void Appended(const ChatKey& key, const storage::SendRecord& record, bool ok);
  void Drain(const ChatKey& key, const Status& s);
  void ResumeOutboxes();
  // Appends B's copy locally and publishes it. Returns false on storage failure.
  bool AppendToLocalBox(uint64_t box_user, const api::Message& msg);
  void AnswerSent(const storage::SendRecord& record, const ReplyTo& reply_to);
  // At most limit updates after pts, and at most kMaxDifferenceBytes.
  Status ReadDifference(uint64_t user, uint64_t pts, uint32_t limit, api::Difference* diff);
  void PublishUpdate(uint64_t user, const api::UpdateNewMessage& update, uint64_t origin_device);
  void Answer(const ReplyTo& to, api::ServerFrame frame);
  void AnswerError(const ReplyTo& to, api::ErrorCode code, const std::string& why);

  Env* env_;
  const ClusterShape shape_;
  BoxStore boxes_;
  size_t pending_sends_ = 0;
  // Chats with sends whose peer copy is not appended yet.
  struct Chat {
    bool in_flight = false;
    TimerId retry = 0;  // set while waiting to try again
    uint32_t failures = 0;
    std::map<uint64_t, std::vector<ReplyTo>> waiting;  // random_id -> callers to answer
  };
  std::map<ChatKey, Chat> chats_;
};

}  // namespace msgbed
