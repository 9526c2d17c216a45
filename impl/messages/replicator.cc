#include "messages/replicator.h"

#include "messages/placement.h"
#include "store/box_keys.h"
#include "store/placement.h"
#include "store/store_service.h"

namespace msgbed {
namespace {

// '~d' id -> "": box id has a write not yet on a quorum.
std::string DirtyKey(uint64_t id) {
  std::string k = "~d";
  for (int i = 7; i >= 0; --i) k.push_back(static_cast<char>(id >> (8 * i)));
  return k;
}

// '~tiered' -> "<nodes>/<replicas>": every box is on its replicas for this
// many store nodes and replicas.
const char kTieredKey[] = "~tiered";

}  // namespace

std::optional<std::pair<std::string, std::string>> CheckReplication(const std::map<std::string, double>& given,
                                                                    uint32_t store_nodes) {
  const auto at = [&](const char* key) { return given.contains(key) ? given.at(key) : 0.0; };
  if (store_nodes == 0) {
    for (const char* key : {"store_replicas", "store_quorum", "store_scrub"}) {
      if (given.contains(key)) {
        return std::make_pair(key,
                              "no store nodes are deployed: add store/<i> instances (docs/storage.md) or remove it");
      }
    }
    return std::nullopt;
  }
  const double replicas = given.contains("store_replicas") ? at("store_replicas") : ReplicationOptions().replicas;
  if (given.contains("store_replicas") && replicas > store_nodes) {
    return std::make_pair("store_replicas", "at most the store nodes deployed (" + std::to_string(store_nodes) + ")");
  }
  if (given.contains("store_quorum") && at("store_quorum") > replicas) {
    return std::make_pair("store_quorum",
                          "at most store_replicas (" + std::to_string(static_cast<int>(replicas)) + ")");
  }
  return std::nullopt;
}

Replicator::Replicator(Env* host, const ClusterShape& shape, ReplicationOptions options)
    : host_(host), nodes_(shape.Count(kStoreRole)), options_(options) {
  options_.replicas = std::max(1u, std::min(options_.replicas, nodes_));
  options_.quorum = std::max(1u, std::min(options_.quorum, options_.replicas));
}

// --- Writes

Status Replicator::Write(const WriteBatch& batch) {
  std::map<uint64_t, Part> parts;
  for (const WriteBatch::Op& op : batch.ops()) {
    const auto id = PlacementIdOfKey(op.key);
    if (!id) continue;  // the instance's own
    store::Entry* e = parts[*id].apply.add_ops();
    e->set_key(op.key);
    op.value ? e->set_value(*op.value) : e->set_deleted(true);
  }
  WriteBatch local = batch;
  for (auto& [id, part] : parts) {
    Status s;
    part.version = BoxVersion(host_->Kv(), id, &s) + 1;
    if (!s.ok()) return s;
    part.apply.set_id(id);
    part.apply.set_version(part.version);
    PutBoxVersion(local, id, part.version);
    local.Put(DirtyKey(id), "");
    // A box's first replicated write sends it whole: whatever it held
    // before (provisioned, or from before the tier) goes with it.
    if (part.version == 1) part.apply.clear_ops();
  }
  if (Status s = host_->Kv().Write(local); !s.ok() || parts.empty()) return s;
  const uint64_t seq = ++write_seq_;
  PendingWrite& w = writes_[seq];
  w.parts = std::move(parts);
  w.waiting = w.parts.size();
  for (const auto& [id, part] : w.parts) {
    latest_write_[id] = seq;
    for (uint32_t node : ReplicasOf(id, nodes_, options_.replicas)) Replicate(seq, id, node);
  }
  return Status::Ok();
}

void Replicator::Replicate(uint64_t seq, uint64_t id, uint32_t node) {
  auto w = writes_.find(seq);
  if (w == writes_.end()) return;  // on a quorum already: a scrub or the next write catches this node up
  auto retry = [this, seq, id, node](bool ok) {
    if (ok) return OnReplicated(seq, id, node);
    auto w = writes_.find(seq);
    if (w == writes_.end()) return;
    const uint32_t failures = std::min(w->second.parts.at(id).failures[node]++, 5u);
    host_->StartTimer(std::min(kStoreRetry << failures, kMaxStoreRetry),
                      [this, seq, id, node] { Replicate(seq, id, node); });
  };
  const store::Apply& apply = w->second.parts.at(id).apply;
  if (apply.ops_size() == 0) return PushBox(id, node, retry);  // a resync
  host_->Call(StoreNode(node), NewBody<store::Apply>(store::Apply(apply)), kStoreCallTimeout,
              [this, id, node, retry](const CallResult& r) {
                const store::Applied* a = r.As<store::Applied>();
                if (a == nullptr || a->ok()) return retry(a != nullptr);
                host_->Stats().Add("messages.replica_resyncs");  // the node missed writes: the whole box
                PushBox(id, node, retry);
              });
}

void Replicator::PushBox(uint64_t id, uint32_t node, std::function<void(bool)> done) {
  auto box = NewBody<store::PutBox>();
  KvStore::Entries entries;
  Status s;
  box->set_id(id);
  box->set_version(BoxVersion(host_->Kv(), id, &s));
  if (s.ok()) s = ReadBoxKeys(host_->Kv(), id, &entries);
  if (!s.ok()) {
    host_->Stats().Add("messages.storage_errors");
    return done(false);
  }
  for (auto& [key, value] : entries) {
    store::Entry* e = box->add_entries();
    e->set_key(std::move(key));
    e->set_value(std::move(value));
  }
  auto answered = [done](const CallResult& r) {
    const store::Applied* a = r.As<store::Applied>();
    done(a != nullptr && a->ok());
  };
  // The ordered lane when it fits, so that the box's next writes (Apply,
  // on the same lane) arrive after it rather than find the node behind.
  if (box->ByteSizeLong() < kMaxMessageBytes / 2) {
    return host_->Call(StoreNode(node), std::move(box), kStoreCallTimeout, std::move(answered));
  }
  host_->Transfer(StoreNode(node), std::move(box), 2 * kStoreCallTimeout, std::move(answered));
}

void Replicator::OnReplicated(uint64_t seq, uint64_t id, uint32_t node) {
  auto w = writes_.find(seq);
  if (w == writes_.end()) return;
  Part& part = w->second.parts.at(id);
  if (!part.on.insert(node).second || part.on.size() != options_.quorum) return;
  if (auto latest = latest_write_.find(id); latest != latest_write_.end() && latest->second == seq) {
    latest_write_.erase(latest);
    WriteBatch clean;
    clean.Delete(DirtyKey(id));
    if (!host_->Kv().Write(clean).ok()) host_->Stats().Add("messages.storage_errors");
  }
  if (--w->second.waiting > 0) return;
  writes_.erase(w);
  if (seq == tiering_seq_) {
    tiering_seq_ = 0;
    WriteBatch done;
    done.Put(kTieredKey, std::to_string(nodes_) + "/" + std::to_string(options_.replicas));
    if (!host_->Kv().Write(done).ok()) host_->Stats().Add("messages.storage_errors");
  }
  ReleaseHeld();
}

void Replicator::Begin() {
  if (!enabled()) return;
  ResendDirty();
  host_->StartTimer(options_.scrub_interval, [this] { Scrub(0); });
}

// The boxes to send whole at start: those marked, or every box when the
// store is not complete for these nodes and replicas.
std::set<uint64_t> Replicator::BoxesToResend(bool* all) {
  std::set<uint64_t> ids;
  Status s;
  const auto tiered = host_->Kv().Get(kTieredKey, &s);
  *all = s.ok() && tiered != std::to_string(nodes_) + "/" + std::to_string(options_.replicas);
  KvStore::Entries page;
  for (std::string from = *all ? "" : "~d", to = *all ? "~" : "~e";;) {
    if (s = host_->Kv().Scan(from, to, 4096, &page); !s.ok() || page.empty()) break;
    for (const auto& [key, value] : page) {
      if (!*all) {
        uint64_t id = 0;
        for (size_t i = 2; i < key.size(); ++i) id = id << 8 | static_cast<unsigned char>(key[i]);
        ids.insert(id);
      } else if (const auto id = PlacementIdOfKey(key)) {
        ids.insert(*id);
      }
    }
    from = page.back().first + '\0';
  }
  if (!s.ok()) host_->Stats().Add("messages.storage_errors");
  return ids;
}

void Replicator::ResendDirty() {
  bool all = false;
  const std::set<uint64_t> ids = BoxesToResend(&all);
  if (ids.empty() && all) {  // nothing to send: complete as it is
    WriteBatch done;
    done.Put(kTieredKey, std::to_string(nodes_) + "/" + std::to_string(options_.replicas));
    if (!host_->Kv().Write(done).ok()) host_->Stats().Add("messages.storage_errors");
  }
  if (ids.empty()) return;
  // A box never written through the tier has no version: it gets its
  // first, so that the nodes take it.
  WriteBatch first;
  for (uint64_t id : ids) {
    Status s;
    if (BoxVersion(host_->Kv(), id, &s) == 0 && s.ok()) PutBoxVersion(first, id, 1);
  }
  if (!host_->Kv().Write(first).ok()) return host_->Stats().Add("messages.storage_errors");
  const uint64_t seq = ++write_seq_;
  if (all) tiering_seq_ = seq;
  PendingWrite& w = writes_[seq];
  for (uint64_t id : ids) {
    w.parts[id].apply.set_id(id);  // no ops: the whole box
    latest_write_[id] = seq;
  }
  w.waiting = w.parts.size();
  host_->Stats().Add("messages.replica_resyncs", w.parts.size());
  for (const auto& [id, part] : w.parts) {
    for (uint32_t node : ReplicasOf(id, nodes_, options_.replicas)) Replicate(seq, id, node);
  }
}

// --- Outputs

void Replicator::Output(std::function<void()> fn) {
  if (held_.empty() && ReplicatedThrough() == write_seq_) return fn();
  if (held_.size() >= kMaxHeldOutputs) return host_->Stats().Add("messages.outputs_dropped");
  held_.emplace_back(write_seq_, std::move(fn));
}

void Replicator::ReleaseHeld() {
  const uint64_t through = ReplicatedThrough();
  while (!held_.empty() && held_.front().first <= through) {
    auto fn = std::move(held_.front().second);
    held_.pop_front();
    fn();
  }
}

void Replicator::Send(const Address& to, Body body) {
  if (!enabled()) return host_->Send(to, std::move(body));
  Output([this, to, body = std::move(body)] { host_->Send(to, body); });
}

void Replicator::Call(const Address& to, Body body, Micros deadline, CallDone done) {
  if (!enabled()) return host_->Call(to, std::move(body), deadline, std::move(done));
  Output(
      [this, to, body = std::move(body), deadline, done = std::move(done)] { host_->Call(to, body, deadline, done); });
}

void Replicator::Transfer(const Address& to, Body body, Micros deadline, CallDone done) {
  if (!enabled()) return host_->Transfer(to, std::move(body), deadline, std::move(done));
  Output([this, to, body = std::move(body), deadline, done = std::move(done)] {
    host_->Transfer(to, body, deadline, done);
  });
}

void Replicator::Reply(const ReplyTo& to, Body body) {
  if (!enabled()) return host_->Reply(to, std::move(body));
  Output([this, to, body = std::move(body)] { host_->Reply(to, body); });
}

void Replicator::Publish(const std::string& topic, const std::string& key, Body body) {
  if (!enabled()) return host_->Publish(topic, key, std::move(body));
  Output([this, topic, key, body = std::move(body)] { host_->Publish(topic, key, body); });
}

void Replicator::CallOnBus(const std::string& topic, const std::string& key, Body body, Micros deadline,
                           CallDone done) {
  if (!enabled()) return host_->CallOnBus(topic, key, std::move(body), deadline, std::move(done));
  Output([this, topic, key, body = std::move(body), deadline, done = std::move(done)] {
    host_->CallOnBus(topic, key, body, deadline, done);
  });
}

// --- Scrub: replicas behind their box get it whole.

void Replicator::Scrub(uint64_t after) {
  KvStore::Entries page;
  if (!host_->Kv().Scan(BoxVersionKey(after) + '\0', "W", kScrubPage, &page).ok()) {
    host_->Stats().Add("messages.storage_errors");
    page.clear();
  }
  std::map<uint32_t, std::vector<std::pair<uint64_t, uint64_t>>> by_node;  // node -> (box, version)
  for (const auto& [key, value] : page) {
    const uint64_t id = *PlacementIdOfKey(key);
    for (uint32_t node : ReplicasOf(id, nodes_, options_.replicas))
      by_node[node].push_back({id, DecodeBoxVersion(value)});
  }
  auto next = [this, more = page.size() == kScrubPage, last = page.empty() ? 0 : *PlacementIdOfKey(page.back().first)] {
    host_->StartTimer(more ? 0 : options_.scrub_interval, [this, more, last] { Scrub(more ? last : 0); });
  };
  if (by_node.empty()) return next();
  auto left = std::make_shared<size_t>(by_node.size());
  for (auto& entry : by_node) {
    const uint32_t node = entry.first;  // not a structured binding: see FetchNext
    auto& boxes = entry.second;
    auto ask = NewBody<store::GetVersions>();
    for (const auto& [id, version] : boxes) ask->add_ids(id);
    host_->Call(StoreNode(node), std::move(ask), kStoreCallTimeout,
                [this, node, boxes = std::move(boxes), left, next](const CallResult& r) {
                  const store::VersionList* got = r.As<store::VersionList>();
                  for (size_t i = 0; got && i < boxes.size() && static_cast<int>(i) < got->versions_size(); ++i) {
                    const auto [id, version] = boxes[i];
                    if (got->versions(i) >= version || latest_write_.contains(id)) continue;
                    host_->Stats().Add("messages.replicas_rebuilt");
                    PushBox(id, node, [](bool) {});
                  }
                  if (--*left == 0) next();
                });
  }
}

// --- Recovery

void Replicator::WhenReady(std::function<void()> fn) {
  if (ready_) return fn();
  waiting_.push_back(std::move(fn));
}

void Replicator::Recover(bool store_is_new, uint32_t count, uint32_t index, std::function<void()> done) {
  if (!enabled() || !store_is_new) return done();
  ready_ = false;
  count_ = count;
  index_ = index;
  recovered_ = std::move(done);
  for (uint32_t node = 0; node < nodes_; ++node) listing_.insert(node);
  for (uint32_t node = 0; node < nodes_; ++node) ListFrom(node, 0);
}

void Replicator::ListFrom(uint32_t node, uint64_t after) {
  auto ask = NewBody<store::ListOwned>();
  ask->set_count(count_);
  ask->set_index(index_);
  ask->set_after(after);
  ask->set_limit(kMaxListedBoxes);
  host_->Call(StoreNode(node), std::move(ask), kStoreCallTimeout, [this, node, after](const CallResult& r) {
    const store::BoxList* list = r.As<store::BoxList>();
    if (list == nullptr) {  // every node must answer: the newest copy of a box may be on it alone
      return void(host_->StartTimer(kStoreRetry, [this, node, after] { ListFrom(node, after); }));
    }
    for (int i = 0; i < list->ids_size() && i < list->versions_size(); ++i) {
      Status s;
      const uint64_t id = list->ids(i), version = list->versions(i);
      if (version > BoxVersion(host_->Kv(), id, &s) && version > best_[id].first) best_[id] = {version, node};
      if (best_[id].first == 0) best_.erase(id);
    }
    if (!list->done() && list->ids_size() > 0) return ListFrom(node, list->ids(list->ids_size() - 1));
    listing_.erase(node);
    if (listing_.empty()) FetchNext();
  });
}

void Replicator::FetchNext() {
  while (fetching_ < kRecoveryWindow && !best_.empty()) {
    // Named copies, not structured bindings: clang before 16 refuses to
    // capture those in a lambda (CI builds the fuzzers with clang).
    const uint64_t id = best_.begin()->first;
    const auto from = best_.begin()->second;
    best_.erase(best_.begin());
    ++fetching_;
    auto ask = NewBody<store::GetBox>();
    ask->set_id(id);
    host_->Transfer(StoreNode(from.second), std::move(ask), 2 * kStoreCallTimeout,
                    [this, id, from](const CallResult& r) {
                      --fetching_;
                      const store::PutBox* box = r.As<store::PutBox>();
                      if (box == nullptr || !ReplaceBox(host_->Kv(), id, box->entries()).ok()) {
                        best_[id] = from;  // again, after a pause
                        return void(host_->StartTimer(kStoreRetry, [this] { FetchNext(); }));
                      }
                      host_->Stats().Add("messages.boxes_recovered");
                      FetchNext();
                    });
  }
  if (fetching_ == 0 && best_.empty()) Recovered();
}

void Replicator::Recovered() {
  if (ready_) return;
  ready_ = true;
  auto waiting = std::move(waiting_);
  for (auto& fn : waiting) fn();
  if (recovered_) std::exchange(recovered_, nullptr)();
}

}  // namespace msgbed
