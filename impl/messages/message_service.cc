#include "messages/message_service.h"

#include "core/client_reply.h"
#include "core/utf8.h"
#include "messages/placement.h"
#include "messages/store_format.h"
#include "store/placement.h"
#include "proto/events.pb.h"

namespace msgbed {

api::ErrorCode CheckChat(const ChatKey& chat) {
  if (chat.valid()) return api::ERROR_NONE;
  return chat.peer_user == 0 && chat.chat_id == 0 && chat.channel_id == 0 ? api::PEER_ID_INVALID : api::PEER_AMBIGUOUS;
}

bool ValidTitle(const std::string& title) {
  size_t chars = 0;
  return ValidUtf8(title, &chars) && chars <= kMaxTitleChars && title.find_first_not_of(" \t\r\n") != std::string::npos;
}

uint64_t NewGroupId(uint64_t creator, uint64_t random_id, uint64_t kind) {
  return (StableHash(StableHash(StableHash(creator) ^ random_id) ^ kind) >> 2) | 1;
}

api::ErrorCode CheckMessageText(const std::string& text) {
  size_t chars = 0;
  if (text.empty()) return api::MESSAGE_EMPTY;
  if (!ValidUtf8(text, &chars)) return api::MESSAGE_INVALID;
  if (chars > kMaxMessageChars) return api::MESSAGE_TOO_LONG;
  return api::ERROR_NONE;
}

MessageService::MessageService(Env* env, ClusterShape shape, MessageOptions options)
    // Without store nodes the replicator passes everything through: the
    // core then calls its host directly (a hop less on every call).
    : env_(shape.Count(kStoreRole) > 0 ? static_cast<Env*>(&replicator_) : env),
      options_(options),
      store_status_(MigrateMessagesStore(env->Kv())),
      replicator_(env, shape, options.replication),
      handoff_(env, std::move(shape), &replicator_.Kv()),
      boxes_(&handoff_.store()),
      channel_boxes_(&handoff_.store(), 'C'),
      secrets_(&handoff_.store()) {
  if (options_.retention > 0) StartSweep();
  // Outboxes a crash left unapplied are finished without waiting for their
  // clients to retry (after Start: a core acts once it is registered), and
  // so are those of boxes that moved here.
  env_->StartTimer(0, [this] {
    if (!store_status_.ok()) return env_->Stats().Add("messages.store_unusable");
    handoff_.Begin();
    replicator_.Begin();
    // A new store may have lost its boxes: the tier has them (replicator.h).
    handoff_.WhenReady([this] {
      replicator_.Recover(handoff_.new_store(), handoff_.count(), env_->Self().index(), [this] { ResumeAll(); });
    });
  });
}

void MessageService::ResumeAll() {
  ResumeOutboxes();
  ResumeFanOuts();
}

void MessageService::OnReshape(const ClusterShape& now) {
  handoff_.Reshape(now);
  std::erase_if(channel_members_, [&](const auto& entry) { return !handoff_.Owns(entry.first); });
  if (handoff_.waiting()) handoff_.WhenReady([this] { ResumeAll(); });
}

namespace {

// The id whose owner serves a request (the gateway routes by the same).
template <typename M>
uint64_t AskerBox(const M& m) {
  return m.client().user();
}
template <typename M>
uint64_t ChannelOrBox(const M& m) {
  return m.request().channel_id() != 0 ? m.request().channel_id() : m.client().user();
}
template <typename M>
uint64_t ChannelOf(const M& m) {
  return m.request().channel_id();
}
uint64_t SendTarget(const messages::SendMessage& m) {
  return m.send().channel_id() != 0 ? m.send().channel_id() : m.client().user();
}
uint64_t SourceOwner(const messages::GetSourceMessage& m) { return m.channel_id() != 0 ? m.channel_id() : m.user(); }
uint64_t ChannelAsked(const messages::ChannelRequest& m) { return m.channel_id(); }
uint64_t ChatAsked(const messages::ChatRequest& m) { return m.chat_id(); }
uint64_t BoxApplied(const messages::ApplyToBox& m) { return m.box_user(); }

}  // namespace

template <typename M>
void MessageService::Serve(Handlers& handlers, void (MessageService::*fn)(const Incoming&, const M&),
                           uint64_t (*id_of)(const M&)) {
  handlers.On<M>([this, fn, id_of](const Incoming& in, const M& m) {
    const uint64_t id = id_of(m);
    if (!store_status_.ok()) return env_->Stats().Add("messages.store_unusable");
    if (!replicator_.ready()) {
      return replicator_.WhenReady([this, fn, in, body = std::make_shared<const M>(m)] { (this->*fn)(in, *body); });
    }
    if (!handoff_.Owns(id)) return PassOn(in, NewBody<M>(M(m)), id);
    if (!handoff_.Held(id)) return (this->*fn)(in, m);
    handoff_.WhenReady([this, fn, in, body = std::make_shared<const M>(m)] { (this->*fn)(in, *body); });
  });
}

// A request that reached this instance after its box moved (its sender
// routed by an older shape): the owner serves it, and its answer goes back.
void MessageService::PassOn(const Incoming& in, Body body, uint64_t id) {
  env_->Stats().Add("messages.passed_on");
  if (!in.reply_to.expects_reply()) return env_->Send(handoff_.OwnerOf(id), std::move(body));
  env_->Call(handoff_.OwnerOf(id), std::move(body), kPeerAppendTimeout, [this, to = in.reply_to](const CallResult& r) {
    if (r.ok()) env_->Reply(to, r.body);
  });
}

void MessageService::Register(Handlers& handlers) {
  handoff_.Register(handlers);
  Serve(handlers, &MessageService::HandleSend, &SendTarget);
  Serve(handlers, &MessageService::HandleForward, &ChannelOrBox<messages::ForwardMessage>);
  Serve(handlers, &MessageService::HandleEdit, &ChannelOrBox<messages::EditMessage>);
  Serve(handlers, &MessageService::HandleDelete, &ChannelOrBox<messages::DeleteMessages>);
  Serve(handlers, &MessageService::HandleRead, &AskerBox<messages::ReadHistory>);
  Serve(handlers, &MessageService::HandleTyping, &AskerBox<messages::SetTyping>);
  Serve(handlers, &MessageService::HandleCreateChat, &AskerBox<messages::CreateChat>);
  Serve(handlers, &MessageService::HandleAddChatUser, &AskerBox<messages::AddChatUser>);
  Serve(handlers, &MessageService::HandleDeleteChatUser, &AskerBox<messages::DeleteChatUser>);
  Serve(handlers, &MessageService::HandleGetChat, &AskerBox<messages::GetChat>);
  Serve(handlers, &MessageService::HandleCreateChannel, &AskerBox<messages::CreateChannel>);
  Serve(handlers, &MessageService::HandleJoinChannel, &AskerBox<messages::JoinChannel>);
  Serve(handlers, &MessageService::HandleLeaveChannel, &AskerBox<messages::LeaveChannel>);
  Serve(handlers, &MessageService::HandleChannelRequest, &ChannelAsked);
  Serve(handlers, &MessageService::HandleEditChannelAdmin, &ChannelOf<messages::EditChannelAdmin>);
  Serve(handlers, &MessageService::HandleGetChannel, &ChannelOf<messages::GetChannel>);
  Serve(handlers, &MessageService::HandleGetChannelDifference, &ChannelOf<messages::GetChannelDifference>);
  Serve(handlers, &MessageService::HandleChatRequest, &ChatAsked);
  Serve(handlers, &MessageService::HandleApply, &BoxApplied);
  Serve(handlers, &MessageService::HandleRequestEncryption, &AskerBox<messages::RequestEncryption>);
  Serve(handlers, &MessageService::HandleAcceptEncryption, &AskerBox<messages::AcceptEncryption>);
  Serve(handlers, &MessageService::HandleDiscardEncryption, &AskerBox<messages::DiscardEncryption>);
  Serve(handlers, &MessageService::HandleSendEncrypted, &AskerBox<messages::SendEncrypted>);
  Serve(handlers, &MessageService::HandleGetSecretDifference, &AskerBox<messages::GetSecretDifference>);
  Serve(handlers, &MessageService::HandleReceivedQueue, &AskerBox<messages::ReceivedQueue>);
  Serve(handlers, &MessageService::HandleGetSourceMessage, &SourceOwner);
  Serve(handlers, &MessageService::HandleGetDifference, &AskerBox<messages::GetDifference>);
  Serve(handlers, &MessageService::HandleGetHistory, &ChannelOrBox<messages::GetHistory>);
}

void MessageService::Answer(const ReplyTo& to, api::ServerFrame frame) { AnswerClient(*env_, to, std::move(frame)); }

void MessageService::AnswerError(const ReplyTo& to, api::ErrorCode code, const std::string& why) {
  AnswerClient(*env_, to, ErrorFrame(code, why));
}

void MessageService::AnswerDone(const ReplyTo& to) {
  api::ServerFrame frame;
  frame.mutable_done();
  Answer(to, std::move(frame));
}

void MessageService::HandleSend(const Incoming& in, const messages::SendMessage& req) {
  const api::SendMessage& send = req.send();
  if (auto code = CheckChat({send.peer_user(), send.chat_id(), send.channel_id()}); code != api::ERROR_NONE) {
    return AnswerError(in.reply_to, code, "name one of peer_user, chat_id and channel_id");
  }
  if (send.random_id() == 0) return AnswerError(in.reply_to, api::RANDOM_ID_EMPTY, "random_id is 0");
  const api::Document& doc = send.document();
  if (send.has_document() && (doc.id() == 0 || doc.sha256().size() != 32 || doc.size() == 0)) {
    return AnswerError(in.reply_to, api::MEDIA_INVALID, "a document needs its id, a 32-byte sha256 and its size");
  }
  // A document's caption may be empty.
  if (auto code = CheckMessageText(send.text());
      code != api::ERROR_NONE && !(code == api::MESSAGE_EMPTY && send.has_document())) {
    return AnswerError(in.reply_to, code, "text must be 1 to 4096 characters of UTF-8");
  }
  Draft draft =
      Draft::Of(req.client(), {send.peer_user(), send.chat_id(), send.channel_id()}, send.random_id(), send.text());
  draft.message.set_reply_to_id(send.reply_to_id());
  draft.message.set_reply_markup(send.reply_markup());
  if (send.has_document()) *draft.message.mutable_document() = doc;
  SendDraft(std::move(draft), in.reply_to);
}

void MessageService::SendDraft(Draft draft, const ReplyTo& reply_to) {
  if (draft.message.channel_id() != 0) return PostToChannel(draft, reply_to);
  Submit(std::move(draft), reply_to);
}

void MessageService::Submit(Draft draft, const ReplyTo& reply_to) {
  const api::Message& m = draft.message;
  Status s;
  if (auto record = boxes_.FindSend(m.from_user(), m.random_id(), &s)) return Resume(reply_to, draft, *record);
  if (!s.ok()) return AnswerError(reply_to, api::INTERNAL, s.message());
  const ChatKey chat = ChatKey::Of(m);
  if (!chat.group()) return StoreAndAnswer(draft, nullptr, reply_to);
  const uint64_t from = m.from_user();  // before draft moves into the callback
  InChat(from, chat, reply_to, [this, draft = std::move(draft), reply_to](const storage::ChatRecord* group) {
    // While the group's owner answered, a retry may have stored it.
    Status s;
    if (auto record = boxes_.FindSend(draft.message.from_user(), draft.message.random_id(), &s)) {
      return Resume(reply_to, draft, *record);
    }
    StoreAndAnswer(draft, group, reply_to);
  });
}

void MessageService::StoreAndAnswer(const Draft& draft, const storage::ChatRecord* group, const ReplyTo& reply_to) {
  storage::SendRecord record;
  if (const Refusal r = Store(draft, group, &record); !r.ok()) return AnswerRefusal(reply_to, r);
  if (record.peer_done()) return AnswerSent(record, reply_to);
  WaitForOp({draft.message.from_user(), draft.message.peer_user()}, record.op_seq(), record.result().random_id(),
            reply_to);
}

MessageService::Refusal MessageService::Store(const Draft& draft, const storage::ChatRecord* group,
                                              storage::SendRecord* record) {
  const uint64_t from = draft.message.from_user();
  BoxStore::Change change;
  if (Status s = boxes_.Begin(from, &change); !s.ok()) return {api::INTERNAL, s.message()};
  api::Message message = draft.message;
  message.set_date_us(env_->Date());
  storage::BoxOp op;
  op.set_kind(storage::BoxOp::APPEND);
  if (message.reply_to_id() != 0) {
    Status s;
    const auto replied = boxes_.FindMessage(from, message.reply_to_id(), &s);
    if (!s.ok()) return {api::INTERNAL, s.message()};
    if (!replied || replied->deleted() || ChatKey::Of(replied->message()) != ChatKey::Of(message)) {
      return {api::MESSAGE_ID_INVALID, "reply_to_id is not a message of this chat"};
    }
    op.set_reply_from(replied->message().from_user());
    op.set_reply_random_id(replied->message().random_id());
  }
  const api::Update& update = change.AddMessage(std::move(message));
  const api::Message& stored = update.message();  // message, with its id
  record->Clear();
  api::SentMessage* result = record->mutable_result();
  result->set_random_id(stored.random_id());
  result->set_message_id(stored.id());
  result->set_pts(update.pts());
  result->set_pts_count(update.pts_count());
  result->set_date_us(stored.date_us());
  *record->mutable_message() = stored;
  // The receivers' copy: in a private chat, the chat is with the sender.
  api::Message* copy = op.mutable_message();
  *copy = stored;
  copy->set_id(0);
  copy->set_reply_to_id(0);
  copy->set_origin_id(stored.id());
  if (!group) copy->set_peer_user(from);
  record->set_peer_done(group || stored.peer_user() == from);
  if (!record->peer_done()) {
    change.Queue(stored.peer_user(), op);
    record->set_op_seq(change.head().last_op());
  }
  if (group) QueueToChat(change, ChatKey::Of(stored), group, op);
  change.PutSend(*record);
  if (Status s = CommitAndPublish(change, draft.origin_device); !s.ok()) return {api::INTERNAL, s.message()};
  env_->Stats().Add("messages.accepted");
  return {};
}

// A send whose random_id is known: the same message again is a retry and
// gets the first result; anything else reusing the id is refused.
void MessageService::Resume(const ReplyTo& reply_to, const Draft& draft, const storage::SendRecord& record) {
  const api::Message& first = record.message();
  const api::Message& again = draft.message;
  if (ChatKey::Of(first) != ChatKey::Of(again) || first.text() != again.text() || first.action() != again.action() ||
      first.document().id() != again.document().id()) {
    env_->Stats().Add("messages.random_id_duplicate");
    return AnswerError(reply_to, api::RANDOM_ID_DUPLICATE, "random_id already used for another message");
  }
  env_->Stats().Add("messages.send_repeated");
  AnswerOnceStored(record, reply_to);
}

void MessageService::AnswerOnceStored(const storage::SendRecord& record, const ReplyTo& reply_to) {
  const api::Message& first = record.message();
  if (record.peer_done()) return AnswerSent(record, reply_to);
  WaitForOp({first.from_user(), first.peer_user()}, record.op_seq(), first.random_id(), reply_to);
}

void MessageService::AnswerSent(const storage::SendRecord& record, const ReplyTo& reply_to) {
  api::ServerFrame frame;
  *frame.mutable_sent_message() = record.result();
  Answer(reply_to, std::move(frame));
}

void MessageService::QueueToChat(BoxStore::Change& change, const ChatKey& chat, const storage::ChatRecord* group,
                                 const storage::BoxOp& op) {
  if (!group) {
    if (chat.peer_user != change.user()) change.Queue(chat.peer_user, op);
    return;
  }
  for (uint64_t member : group->members()) {
    if (member != change.user()) change.Queue(member, op);
  }
}

Status MessageService::CommitAndPublish(BoxStore::Change& change, uint64_t origin_device) {
  if (Status s = boxes_.Commit(&change); !s.ok()) {
    env_->Stats().Add("messages.storage_errors");
    return s;
  }
  for (const api::Update& update : change.updates()) {
    Publish(change.user(), update, origin_device);
    origin_device = 0;  // only the first update is the sender's own
  }
  for (uint64_t peer_box : change.queued_to()) Pump({change.user(), peer_box});
  return Status::Ok();
}

void MessageService::Publish(uint64_t user, const api::Update& update, uint64_t origin_device) {
  auto event = NewBody<events::BoxUpdate>();
  event->set_user_id(user);
  *event->mutable_update() = update;
  event->set_origin_device(origin_device);
  event->set_published_us(env_->Date());
  env_->Publish(kUpdatesTopic, ClusterShape::UserKey(user), std::move(event));
}

}  // namespace msgbed
