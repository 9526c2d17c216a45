// The outboxes of MessageService: what a box owes other boxes, applied
// there one entry at a time, in order, idempotently.
#include "core/client_reply.h"
#include "messages/message_service.h"
#include "messages/placement.h"

namespace msgbed {

void MessageService::ResumeOutboxes() {
  std::vector<OutboxKey> keys;
  if (Status s = boxes_.OutboxesWithOps(&keys); !s.ok()) {
    env_->Stats().Add("messages.storage_errors");
    return;
  }
  for (const OutboxKey& key : keys) Pump(key);
}

void MessageService::WaitForOp(const OutboxKey& key, uint64_t seq, uint64_t random_id, const ReplyTo& reply_to) {
  Outbox::Waiting& w = outboxes_[key].waiting[seq];
  w.random_id = random_id;
  w.callers.push_back(reply_to);
  Pump(key);
}

// Applies the outbox's oldest entry to the peer box, one at a time, so that
// the peer's box keeps this box's order.
void MessageService::Pump(const OutboxKey& key) {
  Outbox& outbox = outboxes_[key];
  if (outbox.in_flight || outbox.retry != 0) return;
  // A reshape moved this box: its new owner applies the rest.
  if (!handoff_.Owns(key.first)) return Drain(key, Status::IoError("the box moved; retry with the same random_id"));
  Status s;
  const auto entry = boxes_.OldestOp(key.first, key.second, &s);
  if (!entry) {
    if (!s.ok()) env_->Stats().Add("messages.storage_errors");
    return Drain(key, s);
  }
  const auto& [seq, op] = *entry;
  outbox.in_flight = true;
  const Address owner = BoxOwner(shape(), key.second);
  if (SameAddress(owner, env_->Self())) {
    return handoff_.WhenServed(
        key.second, [this, key, seq = seq, op = op] { Applied(key, seq, op, ApplyLocally(key.second, op)); });
  }
  auto apply = NewBody<messages::ApplyToBox>();
  apply->set_box_user(key.second);
  *apply->mutable_op() = op;
  ++pending_sends_;
  env_->Call(owner, std::move(apply), kPeerAppendTimeout, [this, key, seq = seq, op = op](const CallResult& r) {
    --pending_sends_;
    const messages::Applied* applied = r.As<messages::Applied>();
    Applied(key, seq, op, applied && applied->ok());
  });
}

void MessageService::Applied(const OutboxKey& key, uint64_t seq, const storage::BoxOp& op, bool ok) {
  Outbox& outbox = outboxes_[key];
  outbox.in_flight = false;
  auto waiting = outbox.waiting.extract(seq);
  std::optional<storage::SendRecord> record;
  if (ok) {
    // A private send is done once the peer's box has it.
    WriteBatch batch;
    Status s;
    if (op.kind() == storage::BoxOp::APPEND && op.message().chat_id() == 0 &&
        (record = boxes_.FindSend(key.first, op.message().random_id(), &s))) {
      record->set_peer_done(true);
      batch.Put(boxes_.SendKey(key.first, record->result().random_id()), record->SerializeAsString());
    }
    ok = s.ok() && boxes_.DoneOp(key.first, key.second, seq, std::move(batch)).ok();
  }
  if (ok) {
    outbox.failures = 0;
    if (waiting) {
      for (const ReplyTo& to : waiting.mapped().callers) {
        if (record)
          AnswerSent(*record, to);
        else
          AnswerError(to, api::INTERNAL, "the send's record is gone");
      }
    }
    return Pump(key);
  }
  env_->Stats().Add("messages.peer_append_failures");
  if (waiting) {
    for (const ReplyTo& to : waiting.mapped().callers) {
      AnswerError(to, api::INTERNAL, "peer box unavailable; retry with the same random_id");
    }
  }
  const Micros delay = std::min(kMaxPeerRetry, kFirstPeerRetry << std::min(outbox.failures++, 16u));
  outbox.retry = env_->StartTimer(delay, [this, key] {
    outboxes_[key].retry = 0;
    Pump(key);
  });
}

// The outbox is empty: whoever still waits learns the outcome.
void MessageService::Drain(const OutboxKey& key, const Status& s) {
  auto it = outboxes_.find(key);
  for (const auto& [seq, w] : it->second.waiting) {
    Status found;
    const auto record = boxes_.FindSend(key.first, w.random_id, &found);
    for (const ReplyTo& to : w.callers) {
      if (record && record->peer_done()) {
        AnswerSent(*record, to);
      } else {
        AnswerError(to, api::INTERNAL, s.ok() ? found.message() : s.message());
      }
    }
  }
  outboxes_.erase(it);
}

void MessageService::HandleApply(const Incoming& in, const messages::ApplyToBox& req) {
  auto applied = NewBody<messages::Applied>();
  applied->set_ok(ApplyLocally(req.box_user(), req.op()));
  env_->Reply(in.reply_to, std::move(applied));
}

bool MessageService::ApplyLocally(uint64_t box_user, const storage::BoxOp& op) {
  if (op.kind() == storage::BoxOp::SECRET) return ApplySecret(box_user, op.secret());
  BoxStore::Change change;
  Status s = boxes_.Begin(box_user, &change);
  if (s.ok()) s = ApplyOp(change, op);
  if (s.ok() && !change.updates().empty()) s = CommitAndPublish(change);
  if (!s.ok()) env_->Stats().Add("messages.storage_errors");
  return s.ok();
}

// What op changes in change's box; nothing if the box has it already.
Status MessageService::ApplyOp(BoxStore::Change& change, const storage::BoxOp& op) {
  const uint64_t user = change.user();
  const api::Message& m = op.message();
  Status s;
  if (op.kind() == storage::BoxOp::READ_OUTBOX) {
    const ChatKey chat{op.peer_user(), op.chat_id()};
    storage::ReadState state;
    if (s = boxes_.ReadState(user, chat, &state); !s.ok() || op.max_id() <= state.outbox_max_id()) return s;
    state.set_outbox_max_id(op.max_id());
    change.PutReadState(chat, state);
    change.Read(api::Update::READ_OUTBOX, chat, op.max_id());
    return s;
  }
  const uint64_t id = boxes_.FindCopy(user, m.from_user(), m.random_id(), &s);
  if (!s.ok()) return s;
  if (op.kind() == storage::BoxOp::APPEND) {
    if (id != 0) return s;  // a repeated append
    api::Message copy = m;
    if (op.reply_from() != 0) copy.set_reply_to_id(boxes_.FindCopy(user, op.reply_from(), op.reply_random_id(), &s));
    if (s.ok()) change.AddMessage(std::move(copy));
    return s;
  }
  if (id == 0) return s;  // never here (joined later, or the append is still to come)
  const auto stored = boxes_.FindMessage(user, id, &s);
  if (!stored || stored->deleted()) return s;
  if (op.kind() == storage::BoxOp::DELETE) {
    change.Delete({*stored});
  } else if (stored->message().edit_date_us() < m.edit_date_us()) {
    api::Message now = stored->message();
    now.set_text(m.text());
    now.set_reply_markup(m.reply_markup());
    now.set_edit_date_us(m.edit_date_us());
    change.Edit(*stored, now);
  }
  return s;
}

}  // namespace msgbed
