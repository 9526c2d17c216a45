// BoxStore: users' message boxes on a KvStore. A box is a gap-free sequence
// of updates numbered by pts (Telegram's model); each append writes the
// update, the new head and a dedup record in one atomic batch, so a crash
// never leaves a box with a hole or a message appended twice.
//
// Key layout (big-endian integers, so boxes scan in pts order):
//   'h' user                 -> storage.BoxHead
//   'u' user pts             -> api.UpdateNewMessage
//   's' user random_id       -> storage.SendRecord       (sender's dedup)
//   'i' user from random_id  -> 8-byte pts               (receiver's dedup)
//   'o' user peer pts        -> 8-byte random_id         (the chat's outbox: sends
//                                                         whose peer copy is not
//                                                         appended yet, in order)
#pragma once

#include <cstdint>
#include <optional>

#include "core/kv_store.h"
#include "proto/client_api.pb.h"
#include "proto/storage.pb.h"

namespace msgbed {

class BoxStore {
 public:
  explicit BoxStore(KvStore* kv) : kv_(kv) {}

  Status Head(uint64_t user, storage::BoxHead* head);

  // Appends the sender's copy of msg to its box and records the send.
  // Fills *record (result and the peer's copy). peer_done is set when the
  // sender writes to itself.
  Status AppendOutgoing(uint64_t user, const api::Message& msg, api::UpdateNewMessage* update,
                        storage::SendRecord* record);

  // Appends the receiver's copy unless (from, random_id) is already in the
  // box; *appended tells which.
  Status AppendIncoming(uint64_t user, const api::Message& msg, api::UpdateNewMessage* update, bool* appended);

  std::optional<storage::SendRecord> FindSend(uint64_t user, uint64_t random_id, Status* status);
  // Marks the peer copy appended and takes the send out of its chat's outbox.
  Status MarkPeerDone(uint64_t user, storage::SendRecord record);
  // The oldest send of user to peer whose peer copy is not appended yet.
  std::optional<storage::SendRecord> OldestUnsent(uint64_t user, uint64_t peer, Status* status);
  // Every chat (user, peer) of this store with a send not appended yet.
  Status ChatsWithUnsent(std::vector<std::pair<uint64_t, uint64_t>>* out);

  // Updates with after < pts, ascending, at most limit.
  Status ReadAfter(uint64_t user, uint64_t after, uint32_t limit, std::vector<api::UpdateNewMessage>* out);

 private:
  // Assigns the next pts and message id of user's box to *update and adds
  // the writes to *batch.
  Status Stage(uint64_t user, const api::Message& msg, api::UpdateNewMessage* update, WriteBatch* batch);

  KvStore* kv_;
};

}  // namespace msgbed
