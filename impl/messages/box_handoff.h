// BoxHandoff: a messages instance's side of reshaping, when messages
// instances are added to or removed from a running deployment. Placement
// (placement.h) then names new owners for some ids; their boxes, group
// records and channels move there, and nothing accepted is lost.
//
//   Sending.  An instance whose store holds keys of ids it does not own
//             (after OnReshape, and at every start, so a crash only
//             delays it) sends them to their owner in chunks
//             (HandoffData, bulk lane) and deletes a chunk once the owner
//             wrote it. It is done when a whole pass finds none.
//   Holding.  An instance whose store was complete for another count of
//             instances (its '~count' key; none: a new store) may receive
//             ids. Until every other instance, of the old count and the
//             new, says it is done (HandoffStatus, asked every 500 ms),
//             whatever needs an id that moved here waits (WhenReady);
//             then '~count' is the new count.
//   Guarding. store() refuses to write any key of an id this instance
//             does not own (UNAVAILABLE, counted), so that a request
//             begun before a reshape cannot change a box that has left:
//             its client retries, at the new owner.
//
// Reshapes may follow each other before a move is done: a chunk carries
// its sender's count and is refused by an instance of another, an id
// owned here under none of the counts since the store was complete waits
// as moved, and every instance of those counts must say it is done.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <set>

#include "core/cluster.h"
#include "core/env.h"
#include "core/handlers.h"
#include "proto/messages.pb.h"

namespace msgbed {

// Requests waiting for a box on its way here, at most (more are dropped,
// counted, and their callers time out and retry).
inline constexpr size_t kMaxHeldRequests = 100'000;
// A chunk of HandoffData carries at most this many bytes of entries.
inline constexpr size_t kHandoffChunkBytes = 1 << 20;
inline constexpr Micros kHandoffRetry = 500 * kMillisecond;
// A chunk not acknowledged by then is sent again (a lost one must not hold
// what waits for the move long).
inline constexpr Micros kHandoffChunkTimeout = 5 * kSecond;
// A status question is answered when the pass ends, or asked again after this.
inline constexpr Micros kHandoffStatusTimeout = 1 * kSecond;

// Marks a messages instance's store complete for a deployment of `count`
// messages instances, so that it starts without asking the others whether
// they owe it anything: for worlds whose instances all start at once with
// provisioned stores (the simulator).
Status SettleMessagesStore(KvStore& store, uint32_t count);

class BoxHandoff {
 public:
  // core_kv: what the core's writes go through (store()); the host's Kv if null.
  BoxHandoff(Env* env, ClusterShape shape, KvStore* core_kv = nullptr);

  void Register(Handlers& handlers);
  // Starts the first pass and the status questions (after Register).
  void Begin();
  void Reshape(const ClusterShape& now);

  const ClusterShape& shape() const { return shape_; }
  uint32_t count() const { return shape_.Count(role::kMessages); }
  Address OwnerOf(uint64_t id) const;
  bool Owns(uint64_t id) const;
  // The instance owns id but its data may still be on the way here.
  bool Held(uint64_t id) const;
  // Runs fn once nothing is held: now, or after the handoff (or never, if
  // more than kMaxHeldRequests wait).
  void WhenReady(std::function<void()> fn);
  // Runs fn now unless id is Held; then as WhenReady.
  void WhenServed(uint64_t id, std::function<void()> fn) {
    if (!Held(id)) return fn();
    WhenReady(std::move(fn));
  }
  // Some box may be on its way here.
  bool waiting() const { return !waiting_for_.empty(); }
  // The store was new when this instance started (no count recorded).
  bool new_store() const { return new_store_; }

  // The core's store: writes to ids owned elsewhere are refused.
  KvStore& store() { return guarded_; }

 private:
  class Guarded final : public KvStore {
   public:
    explicit Guarded(BoxHandoff* h) : h_(h) {}
    std::optional<std::string> Get(std::string_view key, Status* status) override;
    Status Write(const WriteBatch& batch) override;
    Status Scan(std::string_view from, std::string_view to, size_t limit, Entries* out) override;
    Status ScanBack(std::string_view from, std::string_view to, size_t limit, Entries* out) override;

   private:
    BoxHandoff* h_;
  };

  // Sending side.
  void SendNext();
  void Sent(const WriteBatch& handed, bool ok);
  void HandleData(const Incoming& in, const messages::HandoffData& req);
  void HandleStatus(const Incoming& in, const messages::HandoffStatus& req);
  void AnswerStatus(const ReplyTo& to, bool done);
  // Those who asked before the pass ended learn how it did.
  void AnswerStatusAskers();
  // Holding side.
  void WaitForOthers();
  void AskStatus();
  void Release();

  Env* env_;
  KvStore* core_kv_;
  ClusterShape shape_;
  uint32_t self_ = 0;
  Guarded guarded_{this};
  // The count this store was complete for (0: unknown, a new store).
  uint32_t settled_ = 0;
  bool new_store_ = false;
  std::vector<uint32_t> since_;     // counts passed through since (persisted, '~since')
  std::set<uint32_t> waiting_for_;  // instances not yet done
  std::deque<std::function<void()>> held_;
  TimerId ask_timer_ = 0;
  bool asking_ = false;
  // Sending: where the pass is, whether a chunk is out, whether a whole
  // pass found nothing to send.
  std::string cursor_;
  bool sending_ = false;
  bool sent_all_ = false;
  bool found_in_pass_ = false;
  TimerId send_timer_ = 0;
  std::vector<ReplyTo> status_askers_;  // asked about this shape before the pass ended
};

}  // namespace msgbed
