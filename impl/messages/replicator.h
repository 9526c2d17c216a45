// Replicator: a messages instance's side of the message store's tier
// (docs/storage.md). With store nodes deployed, the core runs on this Env
// instead of its host's:
//
//   Writes.   Every batch the core writes is written locally, then each
//             box it touches (messages/placement.h: the keys of one id) is
//             sent to the box's replicas (store/placement.h) with the
//             box's next version (store::Apply). A replica that missed
//             writes answers behind and is sent the whole box (PutBox).
//   Outputs.  Whatever the core sends, calls, replies or publishes after
//             a write waits until that write is on `quorum` replicas of
//             each box it touched, and leaves in order. So nothing anyone
//             was told (a sender's ack, a peer box's Applied, an update on
//             the bus) is on fewer than quorum store nodes and this
//             instance's own store: losing any one of them loses none of it.
//   Restart.  Boxes written but not yet on a quorum are marked ('~d' id,
//             in the write's batch); a restart sends them whole before
//             anything else leaves. So does the first start with the tier,
//             or with another number of store nodes or replicas ('~tiered'
//             records what the store was last complete for): every box is
//             sent whole to its replicas before anything leaves.
//   Scrub.    Every scrub_interval the instance compares its boxes'
//             versions with their replicas' and sends the whole box to a
//             replica behind: a store node that lost its disk is rebuilt.
//   Recovery. An instance whose store is new (its disk was lost, or it
//             joined) fetches, once the handoff is done, every box it owns
//             whose highest version on the store nodes is newer than its
//             own, before it serves anything.
//
// Without store nodes it passes everything straight to the host's Env.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/cluster.h"
#include "core/env.h"
#include "proto/store.pb.h"

namespace msgbed {

// Why these messages settings cannot work with store_nodes storage nodes
// deployed: the key at fault and the reason; nullopt if they can. given:
// the settings a config or scenario names itself.
std::optional<std::pair<std::string, std::string>> CheckReplication(const std::map<std::string, double>& given,
                                                                    uint32_t store_nodes);

struct ReplicationOptions {
  uint32_t replicas = 2;  // store nodes per box (at most the nodes there are)
  uint32_t quorum = 1;    // of them, on which a write must be before its outputs leave
  Micros scrub_interval = 30 * kSecond;
};

// A store node that has not answered by then is asked again, after
// kStoreRetry doubling with each failure up to kMaxStoreRetry (an
// overloaded node must not get more work for being slow).
inline constexpr Micros kStoreCallTimeout = 10 * kSecond;
inline constexpr Micros kStoreRetry = 500 * kMillisecond;
inline constexpr Micros kMaxStoreRetry = 4 * kSecond;
// Outputs held at most; more are dropped and counted (their callers retry).
inline constexpr size_t kMaxHeldOutputs = 200'000;
// Boxes fetched at once while recovering; boxes compared per scrub question.
inline constexpr size_t kRecoveryWindow = 16;
inline constexpr size_t kScrubPage = 256;

class Replicator final : public Env {
 public:
  Replicator(Env* host, const ClusterShape& shape, ReplicationOptions options);

  bool enabled() const { return nodes_ > 0; }
  // Starts the scrub and resends the boxes a crash left unreplicated.
  void Begin();
  // Recovery (when store_is_new), then done; done at once otherwise.
  void Recover(bool store_is_new, uint32_t count, uint32_t index, std::function<void()> done);
  // False while recovering: requests wait (WhenReady).
  bool ready() const { return ready_; }
  void WhenReady(std::function<void()> fn);

  // --- Env: outputs wait for the writes before them; the rest is the host's.
  const Address& Self() const override { return host_->Self(); }
  Micros Now() const override { return host_->Now(); }
  Micros Date() const override { return host_->Date(); }
  TimerId StartTimer(Micros delay, std::function<void()> fn) override {
    return host_->StartTimer(delay, std::move(fn));
  }
  void CancelTimer(TimerId id) override { host_->CancelTimer(id); }
  void Send(const Address& to, Body body) override;
  void Call(const Address& to, Body body, Micros deadline, CallDone done) override;
  void Transfer(const Address& to, Body body, Micros deadline, CallDone done) override;
  void Reply(const ReplyTo& to, Body body) override;
  void Publish(const std::string& topic, const std::string& key, Body body) override;
  void CallOnBus(const std::string& topic, const std::string& key, Body body, Micros deadline, CallDone done) override;
  void HoldPartition(const std::string& topic, uint32_t partition) override { host_->HoldPartition(topic, partition); }
  void ReleasePartition(const std::string& topic, uint32_t partition) override {
    host_->ReleasePartition(topic, partition);
  }
  ClientPort* Clients() override { return host_->Clients(); }
  KvStore& Kv() override { return enabled() ? static_cast<KvStore&>(store_) : host_->Kv(); }
  BlobStore& Blobs() override { return host_->Blobs(); }
  Rng& Random() override { return host_->Random(); }
  std::string SecretBytes(size_t n) override { return host_->SecretBytes(n); }
  OutboundPort& Outbound() override { return host_->Outbound(); }
  Metrics& Stats() override { return host_->Stats(); }

 private:
  class ReplicatingStore final : public KvStore {
   public:
    explicit ReplicatingStore(Replicator* r) : r_(r) {}
    std::optional<std::string> Get(std::string_view key, Status* status) override {
      return r_->host_->Kv().Get(key, status);
    }
    Status Write(const WriteBatch& batch) override { return r_->Write(batch); }
    Status Scan(std::string_view from, std::string_view to, size_t limit, Entries* out) override {
      return r_->host_->Kv().Scan(from, to, limit, out);
    }
    Status ScanBack(std::string_view from, std::string_view to, size_t limit, Entries* out) override {
      return r_->host_->Kv().ScanBack(from, to, limit, out);
    }

   private:
    Replicator* r_;
  };
  // One box's part of a write: on which replicas it is.
  struct Part {
    uint64_t version = 0;
    store::Apply apply;  // empty ops: send the whole box (a resync)
    std::set<uint32_t> on;
    std::map<uint32_t, uint32_t> failures;  // by node
  };
  struct PendingWrite {
    std::map<uint64_t, Part> parts;  // by box id
    size_t waiting = 0;              // parts not yet on a quorum
  };

  Status Write(const WriteBatch& batch);
  // Sends part `id` of write seq to store node `node` (again after a failure).
  void Replicate(uint64_t seq, uint64_t id, uint32_t node);
  void PushBox(uint64_t id, uint32_t node, std::function<void(bool)> done);
  void OnReplicated(uint64_t seq, uint64_t id, uint32_t node);
  void ResendDirty();
  std::set<uint64_t> BoxesToResend(bool* all);
  // Outputs: run now, or held behind the writes before them.
  void Output(std::function<void()> fn);
  void ReleaseHeld();
  uint64_t ReplicatedThrough() const { return writes_.empty() ? write_seq_ : writes_.begin()->first - 1; }

  void Scrub(uint64_t after);
  void ListFrom(uint32_t node, uint64_t after);
  void FetchNext();
  void Recovered();

  Env* host_;
  uint32_t nodes_;
  ReplicationOptions options_;
  ReplicatingStore store_{this};
  uint64_t write_seq_ = 0;
  uint64_t tiering_seq_ = 0;                   // the write sending every box whole, if one is under way
  std::map<uint64_t, PendingWrite> writes_;    // not yet on a quorum, by seq
  std::map<uint64_t, uint64_t> latest_write_;  // box id -> its latest write's seq
  std::deque<std::pair<uint64_t, std::function<void()>>> held_;  // (write seq before it, output)

  // Recovery.
  bool ready_ = true;
  uint32_t count_ = 0, index_ = 0;
  std::function<void()> recovered_;
  std::deque<std::function<void()>> waiting_;
  std::set<uint32_t> listing_;                              // nodes still listing
  std::map<uint64_t, std::pair<uint64_t, uint32_t>> best_;  // box -> (version, node) to fetch
  size_t fetching_ = 0;
};

}  // namespace msgbed
