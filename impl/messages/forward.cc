// Forwarding (messages.forwardMessages, one message): the destination's
// owner (the sender's box for a private chat or a basic group, the
// channel's owner for a channel) asks the source's owner (the sender's box,
// or the channel's box with the sender a member) for the message as it now
// reads, then sends a copy marked with its first author, date and channel
// like any other message: idempotent by random_id.
#include "core/client_reply.h"
#include "messages/message_service.h"
#include "messages/placement.h"

namespace msgbed {

namespace {

messages::SourceMessage RefuseSource(api::ErrorCode code, std::string why) {
  messages::SourceMessage a;
  a.set_error(code);
  a.set_why(std::move(why));
  return a;
}

}  // namespace

void MessageService::HandleForward(const Incoming& in, const messages::ForwardMessage& req) {
  const api::ForwardMessage& fwd = req.request();
  if (auto code = CheckChat({fwd.peer_user(), fwd.chat_id(), fwd.channel_id()}); code != api::ERROR_NONE) {
    return AnswerError(in.reply_to, code, "name one of peer_user, chat_id and channel_id");
  }
  if (fwd.random_id() == 0) return AnswerError(in.reply_to, api::RANDOM_ID_EMPTY, "random_id is 0");
  if (AnsweredAsRepeat(req, in.reply_to)) return;
  messages::GetSourceMessage ask;
  ask.set_user(req.client().user());
  ask.set_channel_id(fwd.from_channel_id());
  ask.set_id(fwd.id());
  FetchSource(ask, [this, fwd, client = req.client(), reply_to = in.reply_to](const messages::SourceMessage& source) {
    if (source.error() != api::ERROR_NONE) return AnswerError(reply_to, source.error(), source.why());
    const api::Message& original = source.message();
    Draft draft =
        Draft::Of(client, {fwd.peer_user(), fwd.chat_id(), fwd.channel_id()}, fwd.random_id(), original.text());
    api::Message& m = draft.message;
    // Forwarded again, it still names whoever wrote it first, and where.
    const bool again = original.fwd_from_user() != 0;
    m.set_fwd_from_user(again ? original.fwd_from_user() : original.from_user());
    m.set_fwd_from_channel(again ? original.fwd_from_channel() : original.channel_id());
    m.set_fwd_date_us(again ? original.fwd_date_us() : original.date_us());
    SendDraft(std::move(draft), reply_to);
  });
}

// Before the source is looked at: it may have been edited, deleted or left
// since the first attempt, whose copy stands.
bool MessageService::AnsweredAsRepeat(const messages::ForwardMessage& req, const ReplyTo& reply_to) {
  const api::ForwardMessage& fwd = req.request();
  const uint64_t user = req.client().user();
  Status s;
  std::optional<api::Message> first;  // the copy the random_id made, if any
  std::optional<storage::SendRecord> record;
  std::optional<storage::StoredMessage> post;
  if (fwd.channel_id() == 0) {
    record = boxes_.FindSend(user, fwd.random_id(), &s);
    if (record) first = record->message();
  } else if (const uint64_t id = channel_boxes_.FindCopy(fwd.channel_id(), user, fwd.random_id(), &s); id != 0) {
    post = channel_boxes_.FindMessage(fwd.channel_id(), id, &s);
    if (post) first = post->message();
  }
  if (!s.ok()) {
    AnswerError(reply_to, api::INTERNAL, s.message());
    return true;
  }
  if (!first) return false;
  if (first->fwd_from_user() == 0 || ChatKey::Of(*first) != ChatKey{fwd.peer_user(), fwd.chat_id(), fwd.channel_id()}) {
    AnswerError(reply_to, api::RANDOM_ID_DUPLICATE, "random_id already used for another message");
    return true;
  }
  env_->Stats().Add("messages.send_repeated");
  record ? AnswerOnceStored(*record, reply_to) : AnswerPosted(*post, reply_to);
  return true;
}

void MessageService::FetchSource(const messages::GetSourceMessage& ask,
                                 std::function<void(const messages::SourceMessage&)> done) {
  const Address owner = ask.channel_id() != 0 ? ChannelOwner(shape(), ask.channel_id()) : BoxOwner(shape(), ask.user());
  if (SameAddress(owner, env_->Self())) {
    const uint64_t id = ask.channel_id() != 0 ? ask.channel_id() : ask.user();
    return handoff_.WhenServed(id, [this, ask, done = std::move(done)] { done(ReadSource(ask)); });
  }
  env_->Call(owner, NewBody<messages::GetSourceMessage>(messages::GetSourceMessage(ask)), kChatCallTimeout,
             [done = std::move(done)](const CallResult& r) {
               const auto* answer = r.As<messages::SourceMessage>();
               done(answer ? *answer : RefuseSource(api::INTERNAL, "the source's owner did not answer; retry"));
             });
}

void MessageService::HandleGetSourceMessage(const Incoming& in, const messages::GetSourceMessage& req) {
  env_->Reply(in.reply_to, NewBody<messages::SourceMessage>(ReadSource(req)));
}

messages::SourceMessage MessageService::ReadSource(const messages::GetSourceMessage& req) {
  Status s;
  std::optional<storage::StoredMessage> stored;
  if (req.channel_id() != 0) {
    storage::ChannelRecord record;
    if (const Refusal r = CheckMember(req.channel_id(), req.user(), &record); !r.ok()) {
      return RefuseSource(r.code, r.why);
    }
    stored = channel_boxes_.FindMessage(req.channel_id(), req.id(), &s);
  } else {
    stored = boxes_.FindMessage(req.user(), req.id(), &s);
  }
  if (!s.ok()) return RefuseSource(api::INTERNAL, s.message());
  if (!stored || stored->deleted() || stored->message().action() != api::ACTION_NONE) {
    return RefuseSource(api::MESSAGE_ID_INVALID, "no such message to forward");
  }
  messages::SourceMessage answer;
  *answer.mutable_message() = stored->message();
  return answer;
}

}  // namespace msgbed
