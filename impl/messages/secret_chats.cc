// Secret chats at the message service (docs/secret-chats.md). The server
// sees keys' public halves and sealed bytes, never a key or a text: it
// records each side of a chat at the owner of that side's box, binds the
// chat to one device per side, and relays what one device seals to the
// other's queue, in order and once, through the outbox (BoxOp SECRET).
#include "core/client_reply.h"
#include "crypto/e2e.h"
#include "messages/message_service.h"

namespace msgbed {
namespace {

// The device a side of a chat is bound to (0: the participant's, until
// one of its devices accepts).
uint64_t BoundDevice(const api::EncryptedChat& chat, uint64_t user) {
  return user == chat.admin_user() ? chat.admin_device() : chat.participant_device();
}

uint64_t OtherUser(const api::EncryptedChat& chat, uint64_t user) {
  return user == chat.admin_user() ? chat.participant_user() : chat.admin_user();
}

bool KeysValid(const std::string& key, const std::string& identity, const std::string& signature) {
  return key.size() == e2e::kKeyBytes && identity.size() == e2e::kKeyBytes && signature.size() == e2e::kSignatureBytes;
}

api::SecretUpdate ChatUpdate(const api::EncryptedChat& chat) {
  api::SecretUpdate update;
  *update.mutable_chat() = chat;
  return update;
}

}  // namespace

MessageService::Refusal MessageService::AskerSide(const rpc::ClientRef& client, uint64_t chat,
                                                  storage::SecretChatSide* side) {
  Status s;
  auto found = secrets_.Side(client.user(), chat, &s);
  if (!s.ok()) return {api::INTERNAL, s.message()};
  if (!found || BoundDevice(found->chat(), client.user()) != client.device()) {
    return {api::ENCRYPTION_ID_INVALID, "no secret chat " + std::to_string(chat) + " on this device"};
  }
  if (found->chat().state() == api::EncryptedChat::DISCARDED)
    return {api::ENCRYPTION_DECLINED, "the chat was discarded"};
  if (found->chat().state() != api::EncryptedChat::ACCEPTED) return {api::ENCRYPTION_ID_INVALID, "not accepted yet"};
  *side = std::move(*found);
  return {};
}

Status MessageService::TellOtherSide(uint64_t user, storage::SecretChatSide& side, storage::SecretOp op,
                                     WriteBatch extra) {
  BoxStore::Change change;
  if (Status s = boxes_.Begin(user, &change); !s.ok()) return s;
  side.set_out_seq(side.out_seq() + 1);
  op.set_seq(side.out_seq());
  storage::BoxOp box_op;
  box_op.set_kind(storage::BoxOp::SECRET);
  *box_op.mutable_secret() = std::move(op);
  change.Queue(OtherUser(side.chat(), user), box_op);
  secrets_.PutSide(extra, user, side);
  change.Stage(extra);
  return CommitAndPublish(change);
}

Status MessageService::QueueSecret(WriteBatch& batch, uint64_t user, uint64_t device, api::SecretUpdate update,
                                   std::vector<events::SecretPush>* pushes) {
  if (device != 0) {
    if (Status s = secrets_.Enqueue(batch, user, device, &update); !s.ok()) return s;
  }
  events::SecretPush& push = pushes->emplace_back();
  push.set_user_id(user);
  push.set_device(device);
  *push.mutable_update() = std::move(update);
  return Status::Ok();
}

void MessageService::PublishSecrets(std::vector<events::SecretPush>& pushes) {
  for (events::SecretPush& push : pushes) {
    const uint64_t user = push.user_id();
    auto event = NewBody<events::SecretPush>(std::move(push));
    event->set_published_us(env_->Date());
    env_->Publish(kUpdatesTopic, ClusterShape::UserKey(user), std::move(event));
  }
  pushes.clear();
}

void MessageService::HandleRequestEncryption(const Incoming& in, const messages::RequestEncryption& req) {
  const rpc::ClientRef& client = req.client();
  const api::RequestEncryption& r = req.request();
  if (r.peer_user() == 0 || r.peer_user() == client.user()) {
    return AnswerError(in.reply_to, api::USER_ID_INVALID, "a secret chat is with another user");
  }
  if (r.random_id() == 0) return AnswerError(in.reply_to, api::RANDOM_ID_EMPTY, "random_id is 0");
  if (!KeysValid(r.g_a(), r.identity(), r.signature())) {
    return AnswerError(in.reply_to, api::DH_G_A_INVALID, "keys are 32 bytes, signatures 64");
  }
  const uint64_t id = NewGroupId(client.user(), r.random_id(), 3);
  Status s;
  if (auto side = secrets_.Side(client.user(), id, &s); side || !s.ok()) {
    if (!s.ok()) return AnswerError(in.reply_to, api::INTERNAL, s.message());
    if (side->chat().admin_device() != client.device() || side->chat().g_a() != r.g_a()) {
      return AnswerError(in.reply_to, api::RANDOM_ID_DUPLICATE, "random_id names another secret chat");
    }
    api::ServerFrame frame;
    *frame.mutable_encrypted_chat() = side->chat();
    return Answer(in.reply_to, std::move(frame));  // a retry
  }
  storage::SecretChatSide side;
  api::EncryptedChat& chat = *side.mutable_chat();
  chat.set_id(id);
  chat.set_state(api::EncryptedChat::REQUESTED);
  chat.set_admin_user(client.user());
  chat.set_admin_device(client.device());
  chat.set_participant_user(r.peer_user());
  chat.set_g_a(r.g_a());
  chat.set_admin_identity(r.identity());
  chat.set_admin_signature(r.signature());
  chat.set_date_us(env_->Date());
  storage::SecretOp op;
  op.set_kind(storage::SecretOp::REQUEST);
  *op.mutable_chat() = chat;
  if (s = TellOtherSide(client.user(), side, std::move(op)); !s.ok()) {
    return AnswerError(in.reply_to, api::INTERNAL, s.message());
  }
  env_->Stats().Add("messages.secret_requests");
  api::ServerFrame frame;
  *frame.mutable_encrypted_chat() = side.chat();
  Answer(in.reply_to, std::move(frame));
}

void MessageService::HandleAcceptEncryption(const Incoming& in, const messages::AcceptEncryption& req) {
  const rpc::ClientRef& client = req.client();
  const api::AcceptEncryption& r = req.request();
  if (!KeysValid(r.g_b(), r.identity(), r.signature())) {
    return AnswerError(in.reply_to, api::DH_G_A_INVALID, "keys are 32 bytes, signatures 64");
  }
  Status s;
  auto side = secrets_.Side(client.user(), r.chat_id(), &s);
  if (!s.ok()) return AnswerError(in.reply_to, api::INTERNAL, s.message());
  if (!side || side->chat().participant_user() != client.user()) {
    return AnswerError(in.reply_to, api::ENCRYPTION_ID_INVALID, "no secret chat request with that id");
  }
  api::EncryptedChat& chat = *side->mutable_chat();
  if (chat.state() == api::EncryptedChat::DISCARDED) {
    return AnswerError(in.reply_to, api::ENCRYPTION_DECLINED, "the chat was discarded");
  }
  if (chat.state() == api::EncryptedChat::ACCEPTED &&
      (chat.participant_device() != client.device() || chat.g_b() != r.g_b())) {
    return AnswerError(in.reply_to, api::ENCRYPTION_ALREADY_ACCEPTED, "another device accepted it");
  }
  if (chat.state() == api::EncryptedChat::REQUESTED) {
    chat.set_state(api::EncryptedChat::ACCEPTED);
    chat.set_participant_device(client.device());
    chat.set_g_b(r.g_b());
    chat.set_participant_identity(r.identity());
    chat.set_participant_signature(r.signature());
    WriteBatch extra;
    std::vector<events::SecretPush> pushes;
    secrets_.SetPending(extra, client.user(), chat.id(), false);
    s = QueueSecret(extra, client.user(), 0, ChatUpdate(chat), &pushes);  // the user's other devices drop the request
    storage::SecretOp op;
    op.set_kind(storage::SecretOp::ACCEPT);
    *op.mutable_chat() = chat;
    if (s.ok()) s = TellOtherSide(client.user(), *side, std::move(op), std::move(extra));
    if (!s.ok()) return AnswerError(in.reply_to, api::INTERNAL, s.message());
    PublishSecrets(pushes);
  }
  api::ServerFrame frame;
  *frame.mutable_encrypted_chat() = chat;
  Answer(in.reply_to, std::move(frame));
}

void MessageService::HandleDiscardEncryption(const Incoming& in, const messages::DiscardEncryption& req) {
  const rpc::ClientRef& client = req.client();
  Status s;
  auto side = secrets_.Side(client.user(), req.request().chat_id(), &s);
  if (!s.ok()) return AnswerError(in.reply_to, api::INTERNAL, s.message());
  const uint64_t bound = side ? BoundDevice(side->chat(), client.user()) : 0;
  // A request no device answered yet may be declined from any device.
  if (!side || (bound != client.device() && bound != 0)) {
    return AnswerError(in.reply_to, api::ENCRYPTION_ID_INVALID, "no secret chat with that id on this device");
  }
  api::EncryptedChat& chat = *side->mutable_chat();
  if (chat.state() != api::EncryptedChat::DISCARDED) {
    chat.set_state(api::EncryptedChat::DISCARDED);
    WriteBatch extra;
    std::vector<events::SecretPush> pushes;
    if (bound == 0) {
      secrets_.SetPending(extra, client.user(), chat.id(), false);
      s = QueueSecret(extra, client.user(), 0, ChatUpdate(chat), &pushes);
    }
    storage::SecretOp op;
    op.set_kind(storage::SecretOp::DISCARD);
    *op.mutable_chat() = chat;
    if (s.ok()) s = TellOtherSide(client.user(), *side, std::move(op), std::move(extra));
    if (!s.ok()) return AnswerError(in.reply_to, api::INTERNAL, s.message());
    PublishSecrets(pushes);
  }
  AnswerDone(in.reply_to);
}

void MessageService::HandleSendEncrypted(const Incoming& in, const messages::SendEncrypted& req) {
  const rpc::ClientRef& client = req.client();
  const api::SendEncrypted& r = req.request();
  if (r.data().empty() || r.data().size() > kMaxSecretBytes) {
    return AnswerError(in.reply_to, api::DATA_INVALID, "encrypted data is 1 byte to 64 KiB");
  }
  if (r.random_id() == 0) return AnswerError(in.reply_to, api::RANDOM_ID_EMPTY, "random_id is 0");
  Status s;
  api::ServerFrame frame;
  if (auto sent = secrets_.FindSent(client.user(), r.random_id(), &s); sent || !s.ok()) {
    if (!s.ok()) return AnswerError(in.reply_to, api::INTERNAL, s.message());
    *frame.mutable_sent_encrypted() = *sent;
    return Answer(in.reply_to, std::move(frame));  // a retry: relayed once
  }
  storage::SecretChatSide side;
  if (Refusal no = AskerSide(client, r.chat_id(), &side); !no.ok()) return AnswerRefusal(in.reply_to, no);
  storage::SecretOp op;
  op.set_kind(storage::SecretOp::MESSAGE);
  api::EncryptedMessage& m = *op.mutable_message();
  m.set_chat_id(r.chat_id());
  m.set_random_id(r.random_id());
  m.set_data(r.data());
  m.set_date_us(env_->Date());
  api::SentEncrypted& sent = *frame.mutable_sent_encrypted();
  sent.set_random_id(r.random_id());
  sent.set_date_us(m.date_us());
  WriteBatch extra;
  secrets_.PutSent(extra, client.user(), sent);
  if (s = TellOtherSide(client.user(), side, std::move(op), std::move(extra)); !s.ok()) {
    return AnswerError(in.reply_to, api::INTERNAL, s.message());
  }
  env_->Stats().Add("messages.secret_messages");
  Answer(in.reply_to, std::move(frame));
}

void MessageService::HandleGetSecretDifference(const Incoming& in, const messages::GetSecretDifference& req) {
  const rpc::ClientRef& client = req.client();
  const uint32_t asked = req.request().limit();
  const uint32_t limit = asked == 0 ? kDefaultSecretLimit : std::min(asked, kMaxSecretLimit);
  api::ServerFrame frame;
  api::SecretDifference& diff = *frame.mutable_secret_difference();
  std::vector<api::SecretUpdate> updates;
  uint64_t last = 0;
  std::vector<storage::SecretChatSide> pending;
  Status s = secrets_.ReadQueue(client.user(), client.device(), req.request().qts(), limit, &updates, &last);
  if (s.ok()) s = secrets_.Pending(client.user(), &pending);
  if (!s.ok()) return AnswerError(in.reply_to, api::INTERNAL, s.message());
  for (api::SecretUpdate& u : updates) *diff.add_updates() = std::move(u);
  diff.set_state_qts(last);
  diff.set_is_slice(diff.updates_size() > 0 && diff.updates(diff.updates_size() - 1).qts() < last);
  for (storage::SecretChatSide& side : pending) *diff.add_requests() = std::move(*side.mutable_chat());
  Answer(in.reply_to, std::move(frame));
}

void MessageService::HandleReceivedQueue(const Incoming& in, const messages::ReceivedQueue& req) {
  const rpc::ClientRef& client = req.client();
  if (Status s = secrets_.Acknowledge(client.user(), client.device(), req.request().max_qts()); !s.ok()) {
    return AnswerError(in.reply_to, api::INTERNAL, s.message());
  }
  AnswerDone(in.reply_to);
}

bool MessageService::ApplySecret(uint64_t user, const storage::SecretOp& op) {
  const uint64_t id = op.kind() == storage::SecretOp::MESSAGE ? op.message().chat_id() : op.chat().id();
  Status s;
  auto side = secrets_.Side(user, id, &s);
  if (!s.ok()) return false;
  if (side && op.seq() <= side->in_seq()) return true;  // a repeat
  if (!side && op.kind() != storage::SecretOp::REQUEST) {
    env_->Stats().Add("messages.secret_for_unknown_chats");
    return true;
  }
  if (!side) side.emplace();
  side->set_in_seq(op.seq());
  api::EncryptedChat& chat = *side->mutable_chat();
  WriteBatch batch;
  std::vector<events::SecretPush> pushes;
  switch (op.kind()) {
    case storage::SecretOp::REQUEST:
      chat = op.chat();
      secrets_.SetPending(batch, user, id, true);
      s = QueueSecret(batch, user, 0, ChatUpdate(chat), &pushes);
      break;
    case storage::SecretOp::ACCEPT:
      if (chat.state() != api::EncryptedChat::REQUESTED) break;
      chat = op.chat();
      s = QueueSecret(batch, user, BoundDevice(chat, user), ChatUpdate(chat), &pushes);
      break;
    case storage::SecretOp::DISCARD:
      if (chat.state() == api::EncryptedChat::DISCARDED) break;
      chat.set_state(api::EncryptedChat::DISCARDED);
      secrets_.SetPending(batch, user, id, false);
      s = QueueSecret(batch, user, BoundDevice(chat, user), ChatUpdate(chat), &pushes);
      break;
    case storage::SecretOp::MESSAGE: {
      if (chat.state() != api::EncryptedChat::ACCEPTED) {
        env_->Stats().Add("messages.secret_messages_dropped");
        break;
      }
      api::SecretUpdate update;
      *update.mutable_message() = op.message();
      s = QueueSecret(batch, user, BoundDevice(chat, user), std::move(update), &pushes);
      break;
    }
    default: break;
  }
  secrets_.PutSide(batch, user, *side);
  if (s.ok()) s = kv().Write(batch);
  if (!s.ok()) return false;
  PublishSecrets(pushes);
  return true;
}

}  // namespace msgbed
