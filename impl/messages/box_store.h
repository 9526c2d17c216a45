// BoxStore: users' message boxes on a KvStore. A box is a gap-free sequence
// of updates numbered by pts (Telegram's model): new messages, edits,
// deletions and read marks. Every change of a box is one BoxStore::Change,
// written in one atomic batch with the new head and whatever the caller
// staged with it (a send record, outbox entries), so a crash never leaves
// a box with a hole, a message twice or a change owed to another box
// forgotten.
//
// Key layout (big-endian integers, so scans run in pts / id order; `kind`
// is 0 for a private chat with user `peer`, 1 for basic group `peer`, 2
// for channel `peer`):
//   'h' user                      -> storage.BoxHead
//   'u' user pts                  -> api.Update
//   'm' user id                   -> storage.StoredMessage (as it now reads)
//   's' user random_id            -> storage.SendRecord   (sender's dedup)
//   'i' user from random_id       -> 8-byte id            (receiver's dedup; finds a copy)
//   'c' user kind peer id         -> 16 bytes: from, origin_id (the box's messages by chat,
//                                                               deleted ones left out)
//   'r' user kind peer            -> storage.ReadState
//   'j' user channel              -> ""                   (the user is in the channel)
//   'o' user peer_box seq         -> storage.BoxOp        (the outbox: what peer_box's box
//                                                         still owes to apply, in order)
#pragma once

#include <absl/container/flat_hash_map.h>

#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "core/kv_store.h"
#include "proto/client_api.pb.h"
#include "proto/storage.pb.h"

namespace msgbed {

// A chat as a box sees it: private with a user, a basic group, or a
// channel (whose messages are in the channel's box; users' boxes keep
// only its read mark).
struct ChatKey {
  uint64_t peer_user = 0;
  uint64_t chat_id = 0;
  uint64_t channel_id = 0;

  static ChatKey Of(const api::Message& m) { return {m.peer_user(), m.chat_id(), m.channel_id()}; }
  bool group() const { return chat_id != 0; }
  uint64_t kind() const { return channel_id != 0 ? 2 : group() ? 1 : 0; }
  uint64_t peer() const { return channel_id != 0 ? channel_id : group() ? chat_id : peer_user; }
  // Exactly one of the three is set.
  bool valid() const { return (peer_user != 0) + (chat_id != 0) + (channel_id != 0) == 1; }
  friend bool operator==(const ChatKey&, const ChatKey&) = default;
};

// A message someone else sent, as the chat index lists it.
struct IncomingMessage {
  uint64_t id, from, origin_id;
};

class BoxStore {
 public:
  // Users' boxes; or, with space 'C', channels' boxes (the same layout
  // under that prefix, without chat index, read marks or outboxes).
  explicit BoxStore(KvStore* kv, char space = 0) : kv_(kv), space_(space) {}

  // One atomic change of user's box: updates appended in order (each gets
  // the next pts; a new message also the next id), outbox entries, and the
  // caller's own puts. Nothing is visible until Commit.
  class Change {
   public:
    // Each appends one update and returns it as stored.
    // A new message: takes the next id; indexed ('m'), and if someone else
    // sent it, also by chat ('c') and for dedup ('i').
    const api::Update& AddMessage(api::Message message);
    // The message `was` now reads as `now`.
    const api::Update& Edit(const storage::StoredMessage& was, const api::Message& now);
    // The messages leave the box: their text is dropped, their ids stay known.
    const api::Update& Delete(const std::vector<storage::StoredMessage>& gone);
    // The box's user joined channel (or left it).
    const api::Update& Membership(uint64_t channel, bool joined);
    // A read mark (READ_INBOX or READ_OUTBOX) of chat up to max_id; the
    // caller puts the chat's new ReadState too.
    const api::Update& Read(api::Update::Kind kind, const ChatKey& chat, uint64_t max_id);
    // peer_box's box must apply op, after everything queued for it before.
    void Queue(uint64_t peer_box, const storage::BoxOp& op);
    void PutSend(const storage::SendRecord& record);
    void PutReadState(const ChatKey& chat, const storage::ReadState& state);
    // Anything else the caller keeps in the same store, written with the change.
    void PutExtra(std::string key, std::string value) { batch_.Put(std::move(key), std::move(value)); }
    // ... or a whole batch of them (puts and deletes), in order.
    void Stage(const WriteBatch& more) {
      for (const auto& op : more.ops()) {
        if (op.value) {
          batch_.Put(op.key, *op.value);
        } else {
          batch_.Delete(op.key);
        }
      }
    }

    uint64_t user() const { return user_; }
    const storage::BoxHead& head() const { return head_; }
    const std::vector<api::Update>& updates() const { return updates_; }
    // The boxes Queue gave entries to, each once.
    const std::vector<uint64_t>& queued_to() const { return queued_to_; }

   private:
    friend class BoxStore;
    const api::Update& Push(api::Update update);
    void PutMessage(const api::Message& m, bool deleted, uint64_t pts);

    uint64_t user_ = 0;
    char space_ = 0;
    storage::BoxHead head_;
    WriteBatch batch_;
    std::vector<api::Update> updates_;
    std::vector<uint64_t> queued_to_;
  };

  // Starts a change of user's box (reads its head).
  Status Begin(uint64_t user, Change* change);
  // Writes the change in one batch. Its staged writes are spent; its head,
  // updates and queued_to stay readable.
  Status Commit(Change* change);

  Status Head(uint64_t user, storage::BoxHead* head);
  // Message id of user's box, as it now reads (nullopt if never there).
  std::optional<storage::StoredMessage> FindMessage(uint64_t user, uint64_t id, Status* status);
  // Id of the copy of (from, random_id) in user's box: user's own send
  // ('s') or a received one ('i'). 0 if none.
  uint64_t FindCopy(uint64_t user, uint64_t from, uint64_t random_id, Status* status);
  std::optional<storage::SendRecord> FindSend(uint64_t user, uint64_t random_id, Status* status);
  Status ReadState(uint64_t user, const ChatKey& chat, storage::ReadState* state);
  // Whether user's box last said user joined channel (and not left since).
  bool InChannel(uint64_t user, uint64_t channel, Status* status);
  // Messages others sent in chat with after < id <= upto, ascending.
  Status IncomingBetween(uint64_t user, const ChatKey& chat, uint64_t after, uint64_t upto,
                         std::vector<IncomingMessage>* out);
  // Ids of chat's messages in user's box (deleted and expired ones left
  // out) with from_id <= id < to_id, at most limit, ascending or newest first.
  Status ChatIds(uint64_t user, const ChatKey& chat, uint64_t from_id, uint64_t to_id, size_t limit, bool newest_first,
                 std::vector<uint64_t>* ids);

  // Retention: removes user's oldest messages, in id order, while they are
  // dated before before_us, at most max of them, with their index and
  // dedup entries and every update up to the last one's; the head records
  // how far (expired_id, expired_pts). *expired: how many went.
  Status Expire(uint64_t user, int64_t before_us, size_t max, size_t* expired);
  // Writes the chat index ('c') of every message of every box from the
  // messages themselves (store_format.h), a page of kIndexPage at a time.
  Status IndexChats();
  // The boxes of this store with user > after, ascending, at most limit.
  Status Boxes(uint64_t after, size_t limit, std::vector<uint64_t>* users);

  // The outbox of user toward peer_box: its oldest entry (seq and op).
  std::optional<std::pair<uint64_t, storage::BoxOp>> OldestOp(uint64_t user, uint64_t peer_box, Status* status);
  // The entry seq is applied: removes it, with the caller's other writes.
  // REQUIRES: seq is the outbox's oldest (entries are applied in order).
  Status DoneOp(uint64_t user, uint64_t peer_box, uint64_t seq, WriteBatch extra = {});
  // Every (user, peer_box) of this store with an entry in its outbox.
  Status OutboxesWithOps(std::vector<std::pair<uint64_t, uint64_t>>* out);

  // Updates with after < pts, ascending, at most limit.
  Status ReadAfter(uint64_t user, uint64_t after, uint32_t limit, std::vector<api::Update>* out);

  std::string SendKey(uint64_t user, uint64_t random_id) const;

 private:
  size_t Skip() const { return space_ == 0 ? 0 : 1; }

  KvStore* kv_;
  char space_;
  // Per outbox, the sequence below which every entry is done (volatile: a
  // restarted store scans from 0 once).
  static constexpr size_t kMaxDoneHints = 1 << 20;
  // A hash map: looked up at every outbox step, never iterated.
  absl::flat_hash_map<std::pair<uint64_t, uint64_t>, uint64_t> done_below_;
};

}  // namespace msgbed
