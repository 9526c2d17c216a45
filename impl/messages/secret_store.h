// SecretStore: the secret chats of a messages instance's users, and each
// device's queue of what its secret chats relayed to it (Telegram's qts),
// in the instance's KvStore beside the boxes. Every key is a tag and the
// user's id, so a user's secret chats move with the box (placement.h).
//
//   'e' user chat         -> storage.SecretChatSide (the user's side of a chat)
//   'p' user chat         -> ""                     (a request no device of user has answered)
//   'q' user device qts   -> api.SecretUpdate       (until the device acknowledges it)
//   'Q' user device       -> 8 bytes: the last qts given to the device
//   'y' user random_id    -> api.SentEncrypted      (the sender's record: SendEncrypted is idempotent)
//
// Writes are staged in the caller's batch, which commits them atomically
// with whatever else changes (an outbox entry).
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "core/kv_store.h"
#include "proto/client_api.pb.h"
#include "proto/storage.pb.h"

namespace msgbed {

class SecretStore {
 public:
  explicit SecretStore(KvStore* kv) : kv_(kv) {}

  std::optional<storage::SecretChatSide> Side(uint64_t user, uint64_t chat, Status* status);
  void PutSide(WriteBatch& batch, uint64_t user, const storage::SecretChatSide& side) const;
  void SetPending(WriteBatch& batch, uint64_t user, uint64_t chat, bool pending) const;
  // user's sides of the chats waiting for one of its devices, in chat order.
  Status Pending(uint64_t user, std::vector<storage::SecretChatSide>* out);

  // Gives update the device's next qts and stages it in its queue.
  Status Enqueue(WriteBatch& batch, uint64_t user, uint64_t device, api::SecretUpdate* update);
  // The device's queue after qts, ascending, at most limit; and its last qts.
  Status ReadQueue(uint64_t user, uint64_t device, uint64_t after, uint32_t limit, std::vector<api::SecretUpdate>* out,
                   uint64_t* last_qts);
  // Deletes the device's queue up to max_qts.
  Status Acknowledge(uint64_t user, uint64_t device, uint64_t max_qts);

  std::optional<api::SentEncrypted> FindSent(uint64_t user, uint64_t random_id, Status* status);
  void PutSent(WriteBatch& batch, uint64_t user, const api::SentEncrypted& sent) const;

 private:
  KvStore* kv_;
};

}  // namespace msgbed
