#include "messages/box_handoff.h"

#include <algorithm>
#include <memory>

#include "messages/placement.h"
#include "messages/store_format.h"

namespace msgbed {

namespace {

const char kCountKey[] = "~count";
// The counts the instance went through since the store was last complete
// (a reshape given before the last one was done), as 4-byte integers.
const char kSinceKey[] = "~since";
// Every key a messages store keeps for an id sorts below '~'.
const char kDataEnd[] = "~";
constexpr size_t kScanPage = 512;
constexpr int kPagesPerTurn = 8;

std::string Be32(uint32_t v) {
  std::string s(4, '\0');
  for (int i = 0; i < 4; ++i) s[i] = static_cast<char>(v >> (8 * (3 - i)));
  return s;
}

uint32_t FromBe32(const std::string& s) {
  uint32_t v = 0;
  for (size_t i = 0; i < 4 && i < s.size(); ++i) v = v << 8 | static_cast<unsigned char>(s[i]);
  return v;
}

}  // namespace

Status SettleMessagesStore(KvStore& store, uint32_t count) {
  WriteBatch batch;
  batch.Put(kCountKey, Be32(count));
  batch.Delete(kSinceKey);
  MarkMessagesStoreFormat(batch);
  return store.Write(batch);
}

BoxHandoff::BoxHandoff(Env* env, ClusterShape shape, KvStore* core_kv)
    : env_(env), core_kv_(core_kv ? core_kv : &env->Kv()), shape_(std::move(shape)), self_(env->Self().index()) {
  Status s;
  if (auto v = env_->Kv().Get(kCountKey, &s)) settled_ = FromBe32(*v);
  new_store_ = settled_ == 0;
  if (auto v = env_->Kv().Get(kSinceKey, &s)) {
    for (size_t i = 0; i + 4 <= v->size(); i += 4) since_.push_back(FromBe32(v->substr(i, 4)));
  }
  if (!s.ok()) env_->Stats().Add("messages.storage_errors");
  if (settled_ != count()) WaitForOthers();
}

void BoxHandoff::Register(Handlers& handlers) {
  handlers.On(this, &BoxHandoff::HandleData);
  handlers.On(this, &BoxHandoff::HandleStatus);
}

void BoxHandoff::Begin() {
  SendNext();
  if (waiting_for_.empty()) {
    if (settled_ != count()) Release();
  } else {
    AskStatus();
  }
}

void BoxHandoff::Reshape(const ClusterShape& now) {
  const uint32_t before = count();
  shape_ = now;
  if (count() == before) return;
  env_->Stats().Add("messages.reshapes");
  // What this instance owned under `before` may be on its way elsewhere
  // still: until the store is complete again, such ids count as moved.
  if (before != settled_) {
    since_.push_back(before);
    std::string bytes;
    for (uint32_t c : since_) bytes += Be32(c);
    WriteBatch batch;
    batch.Put(kSinceKey, bytes);
    if (!env_->Kv().Write(batch).ok()) env_->Stats().Add("messages.storage_errors");
  }
  WaitForOthers();
  // A new pass: keys this instance kept may now be another's.
  cursor_.clear();
  sent_all_ = found_in_pass_ = false;
  AnswerStatusAskers();  // not done: they asked about another shape
  if (!sending_ && send_timer_ == 0) SendNext();
  if (!waiting_for_.empty() && !asking_ && ask_timer_ == 0) AskStatus();
}

Address BoxHandoff::OwnerOf(uint64_t id) const { return MakeAddress(role::kMessages, OwnerIndex(id, count())); }

bool BoxHandoff::Owns(uint64_t id) const { return OwnerIndex(id, count()) == self_; }

bool BoxHandoff::Held(uint64_t id) const {
  if (waiting_for_.empty() || !Owns(id)) return false;
  if (settled_ == 0 || OwnerIndex(id, settled_) != self_) return true;
  return std::any_of(since_.begin(), since_.end(), [&](uint32_t c) { return OwnerIndex(id, c) != self_; });
}

// Every instance of any count since the store was complete may owe this
// one keys; one no longer in the shape hands over what it has.
void BoxHandoff::WaitForOthers() {
  if (self_ >= count()) return;
  uint32_t upto = std::max(settled_, count());
  for (uint32_t c : since_) upto = std::max(upto, c);
  for (uint32_t j = 0; j < upto; ++j) {
    if (j != self_) waiting_for_.insert(j);
  }
}

void BoxHandoff::WhenReady(std::function<void()> fn) {
  if (waiting_for_.empty()) return fn();
  if (held_.size() >= kMaxHeldRequests) return env_->Stats().Add("messages.held_dropped");
  env_->Stats().Add("messages.held");
  held_.push_back(std::move(fn));
}

// --- Sending

// Scans on from the cursor for a run of keys owned by one other instance
// (at most a chunk), and transfers it; a few pages per turn, so that a
// large store does not stall the instance.
void BoxHandoff::SendNext() {
  send_timer_ = 0;
  if (sending_) return;
  WriteBatch handed;
  auto data = NewBody<messages::HandoffData>();
  data->set_count(count());
  std::optional<uint32_t> to;
  size_t bytes = 0;
  for (int page = 0; page < kPagesPerTurn; ++page) {
    KvStore::Entries entries;
    if (Status s = env_->Kv().Scan(cursor_, kDataEnd, kScanPage, &entries); !s.ok()) {
      env_->Stats().Add("messages.storage_errors");
      send_timer_ = env_->StartTimer(kHandoffRetry, [this] { SendNext(); });
      return;
    }
    for (auto& [key, value] : entries) {
      const auto id = PlacementIdOfKey(key);
      const uint32_t owner = id ? OwnerIndex(*id, count()) : self_;
      if (owner != self_ && (!to || *to == owner) && bytes < kHandoffChunkBytes) {
        to = owner;
        bytes += key.size() + value.size();
        handed.Delete(key);
        auto* e = data->add_entries();
        e->set_key(key);
        e->set_value(std::move(value));
        continue;
      }
      if (owner != self_) break;  // the next chunk starts here
      if (!to) cursor_ = key + '\0';
    }
    if (to) break;
    if (entries.size() < kScanPage) {  // the pass is over
      if (!found_in_pass_) {
        sent_all_ = true;
        return AnswerStatusAskers();
      }
      cursor_.clear();
      found_in_pass_ = false;
    }
  }
  if (!to) {
    send_timer_ = env_->StartTimer(0, [this] { SendNext(); });
    return;
  }
  sending_ = true;
  env_->Transfer(MakeAddress(role::kMessages, *to), std::move(data), kHandoffChunkTimeout,
                 [this, handed = std::move(handed)](const CallResult& r) {
                   const auto* ack = r.As<messages::HandoffAck>();
                   Sent(handed, ack && ack->ok());
                 });
}

// A chunk is written at its owner: it leaves this store. If not, the pass
// goes on from the same place later.
void BoxHandoff::Sent(const WriteBatch& handed, bool ok) {
  sending_ = false;
  if (ok) {
    ok = env_->Kv().Write(handed).ok();
    if (!ok) env_->Stats().Add("messages.storage_errors");
  }
  if (!ok) {
    env_->Stats().Add("messages.handoff_retries");
    send_timer_ = env_->StartTimer(kHandoffRetry, [this] { SendNext(); });
    return;
  }
  env_->Stats().Add("messages.handoff_keys_out", handed.ops().size());
  found_in_pass_ = true;
  cursor_ = handed.ops().back().key + '\0';
  SendNext();
}

void BoxHandoff::HandleData(const Incoming& in, const messages::HandoffData& req) {
  auto ack = NewBody<messages::HandoffAck>();
  const bool ours = req.count() == count() && std::all_of(req.entries().begin(), req.entries().end(), [&](auto& e) {
                      const auto id = PlacementIdOfKey(e.key());
                      return id && Owns(*id);
                    });
  if (ours) {
    WriteBatch batch;
    for (const auto& e : req.entries()) batch.Put(e.key(), e.value());
    if (env_->Kv().Write(batch).ok()) {
      ack->set_ok(true);
      env_->Stats().Add("messages.handoff_keys_in", req.entries_size());
    } else {
      env_->Stats().Add("messages.storage_errors");
    }
  }
  env_->Reply(in.reply_to, std::move(ack));
}

void BoxHandoff::HandleStatus(const Incoming& in, const messages::HandoffStatus& req) {
  // Asked before the pass got here (at start, all instances ask at once):
  // go on with it now rather than make the asker wait another round.
  if (!sent_all_ && !sending_) {
    env_->CancelTimer(send_timer_);
    SendNext();
  }
  // Not done yet: answered when the pass ends (a long poll), so that what
  // waits for it waits no longer than the move.
  if (req.count() == count() && !sent_all_) return status_askers_.push_back(in.reply_to);
  AnswerStatus(in.reply_to, req.count() == count() && sent_all_);
}

void BoxHandoff::AnswerStatus(const ReplyTo& to, bool done) {
  auto answer = NewBody<messages::HandoffStatusAnswer>();
  answer->set_done(done);
  env_->Reply(to, std::move(answer));
}

void BoxHandoff::AnswerStatusAskers() {
  for (const ReplyTo& to : status_askers_) AnswerStatus(to, sent_all_);
  status_askers_.clear();
}

// --- Holding

void BoxHandoff::AskStatus() {
  ask_timer_ = 0;
  asking_ = true;
  auto outstanding = std::make_shared<size_t>(waiting_for_.size());
  for (uint32_t j : std::vector<uint32_t>(waiting_for_.begin(), waiting_for_.end())) {
    auto ask = NewBody<messages::HandoffStatus>();
    ask->set_count(count());
    env_->Call(MakeAddress(role::kMessages, j), std::move(ask), kHandoffStatusTimeout,
               [this, j, outstanding, asked = count()](const CallResult& r) {
                 const auto* answer = r.As<messages::HandoffStatusAnswer>();
                 if (answer && answer->done() && asked == count()) waiting_for_.erase(j);
                 if (--*outstanding > 0) return;
                 asking_ = false;
                 if (waiting_for_.empty()) return Release();
                 ask_timer_ = env_->StartTimer(kHandoffRetry, [this] { AskStatus(); });
               });
  }
}

// Every instance that could owe this one keys has sent them: the store is
// complete for this count, and what waited runs, in arrival order.
void BoxHandoff::Release() {
  if (!SettleMessagesStore(env_->Kv(), count()).ok()) {
    env_->Stats().Add("messages.storage_errors");
    ask_timer_ = env_->StartTimer(kHandoffRetry, [this] { Release(); });
    return;
  }
  settled_ = count();
  since_.clear();
  std::deque<std::function<void()>> ready;
  ready.swap(held_);
  for (auto& fn : ready) fn();
}

// --- The guarded store

std::optional<std::string> BoxHandoff::Guarded::Get(std::string_view key, Status* status) {
  return h_->core_kv_->Get(key, status);
}

Status BoxHandoff::Guarded::Write(const WriteBatch& batch) {
  std::optional<uint64_t> owned;  // a batch's keys are nearly all of one box
  for (const auto& op : batch.ops()) {
    const auto id = PlacementIdOfKey(op.key);
    if (!id || id == owned) continue;
    if (!h_->Owns(*id)) {
      h_->env_->Stats().Add("messages.moved_writes_refused");
      return Status::IoError("this box moved to another instance");
    }
    owned = id;
  }
  return h_->core_kv_->Write(batch);
}

Status BoxHandoff::Guarded::Scan(std::string_view from, std::string_view to, size_t limit, Entries* out) {
  return h_->core_kv_->Scan(from, to, limit, out);
}

Status BoxHandoff::Guarded::ScanBack(std::string_view from, std::string_view to, size_t limit, Entries* out) {
  return h_->core_kv_->ScanBack(from, to, limit, out);
}

}  // namespace msgbed
