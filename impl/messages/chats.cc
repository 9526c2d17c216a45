// Basic groups: their records (kept by the group's owner, ChatOwner) and
// the requests that change who is in them. Every change is told to the
// group as a service message from whoever made it.
#include <algorithm>
#include <memory>

#include "core/utf8.h"
#include "messages/channel_keys.h"
#include "messages/message_service.h"
#include "messages/placement.h"

namespace msgbed {

namespace {

bool IsMember(const storage::ChatRecord& r, uint64_t user) {
  return std::binary_search(r.members().begin(), r.members().end(), user);
}

messages::ChatAnswer Refuse(api::ErrorCode code, std::string why) {
  messages::ChatAnswer a;
  a.set_error(code);
  a.set_why(std::move(why));
  return a;
}

// Whether req repeats the record's last change, which is in effect.
bool IsLastChange(const storage::ChatRecord& r, const messages::ChatRequest& req) {
  return r.change_seq() != 0 && r.change_kind() == static_cast<uint32_t>(req.kind()) && r.change_user() == req.user() &&
         r.change_asker() == req.asker();
}

// The random_id of the service message telling the group of its change seq.
uint64_t ChangeRandomId(uint64_t chat, uint64_t seq) { return StableHash(chat + seq * 0x9E3779B97F4A7C15ull) | 1; }

api::Chat ToApi(const storage::ChatRecord& r) {
  api::Chat chat;
  chat.set_id(r.id());
  chat.set_title(r.title());
  chat.set_creator(r.creator());
  *chat.mutable_members() = r.members();
  return chat;
}

}  // namespace

// --- The group's owner

void MessageService::HandleChatRequest(const Incoming& in, const messages::ChatRequest& req) {
  auto answer = NewBody<messages::ChatAnswer>(DoChatRequest(req));
  env_->Reply(in.reply_to, std::move(answer));
}

messages::ChatAnswer MessageService::DoChatRequest(const messages::ChatRequest& req) {
  Status s;
  const auto stored = kv().Get(ChatRecordKey(req.chat_id()), &s);
  if (!s.ok()) return Refuse(api::INTERNAL, s.message());
  storage::ChatRecord record;
  if (stored && !record.ParseFromString(*stored)) return Refuse(api::INTERNAL, "unparsable group record");
  if (req.kind() == messages::ChatRequest::CREATE) {
    if (stored && (record.creator() != req.record().creator() || record.random_id() != req.record().random_id())) {
      return Refuse(api::INTERNAL, "group id taken; retry with another random_id");
    }
    if (!stored) record = req.record();
  } else {
    if (!stored) return Refuse(api::CHAT_ID_INVALID, "no such group");
    if (!IsMember(record, req.asker())) return Refuse(api::CHAT_WRITE_FORBIDDEN, "not a member of the group");
    std::vector<uint64_t> members(record.members().begin(), record.members().end());
    const auto at = std::lower_bound(members.begin(), members.end(), req.user());
    const bool member = at != members.end() && *at == req.user();
    const bool done = req.kind() == messages::ChatRequest::ADD ? member : !member;
    if (req.kind() != messages::ChatRequest::MEMBERS && done && IsLastChange(record, req)) {
      messages::ChatAnswer again;  // a retry: told as done, with the same change
      *again.mutable_record() = std::move(record);
      return again;
    }
    if (req.kind() == messages::ChatRequest::ADD) {
      if (member) return Refuse(api::USER_ALREADY_PARTICIPANT, "already in the group");
      if (members.size() >= kMaxGroupMembers)
        return Refuse(api::USERS_TOO_MUCH, "a basic group has at most 200 members");
      members.insert(at, req.user());
    } else if (req.kind() == messages::ChatRequest::REMOVE) {
      if (!member) return Refuse(api::USER_NOT_PARTICIPANT, "not in the group");
      if (req.user() != req.asker() && req.asker() != record.creator()) {
        return Refuse(api::CHAT_ADMIN_REQUIRED, "only the group's creator removes others");
      }
      members.erase(at);
    }
    *record.mutable_members() = {members.begin(), members.end()};
    if (req.kind() != messages::ChatRequest::MEMBERS) {
      record.set_change_kind(req.kind());
      record.set_change_user(req.user());
      record.set_change_asker(req.asker());
      record.set_change_seq(record.change_seq() + 1);
    }
  }
  if (req.kind() != messages::ChatRequest::MEMBERS && (!stored || req.kind() != messages::ChatRequest::CREATE)) {
    WriteBatch batch;
    batch.Put(ChatRecordKey(record.id()), record.SerializeAsString());
    if (s = kv().Write(batch); !s.ok()) return Refuse(api::INTERNAL, s.message());
  }
  messages::ChatAnswer answer;
  *answer.mutable_record() = std::move(record);
  return answer;
}

// --- Asking it

void MessageService::AskChatOwner(messages::ChatRequest request,
                                  std::function<void(const messages::ChatAnswer&)> done) {
  const Address owner = ChatOwner(shape(), request.chat_id());
  if (SameAddress(owner, env_->Self())) {
    const uint64_t chat = request.chat_id();
    return handoff_.WhenServed(
        chat, [this, request = std::move(request), done = std::move(done)] { done(DoChatRequest(request)); });
  }
  auto body = NewBody<messages::ChatRequest>(std::move(request));
  env_->Call(owner, std::move(body), kChatCallTimeout, [done = std::move(done)](const CallResult& r) {
    const messages::ChatAnswer* answer = r.As<messages::ChatAnswer>();
    done(answer ? *answer : Refuse(api::INTERNAL, "the group's owner did not answer; retry"));
  });
}

void MessageService::WithMembers(uint64_t asker, const std::vector<uint64_t>& chats, MembersDone done) {
  struct Join {
    size_t remaining;
    bool refused = false;
    Members members;
    MembersDone done;
  };
  auto join = std::make_shared<Join>(Join{chats.size(), false, {}, std::move(done)});
  if (chats.empty()) return join->done({}, {});
  for (uint64_t chat : chats) {
    messages::ChatRequest req;
    req.set_kind(messages::ChatRequest::MEMBERS);
    req.set_chat_id(chat);
    req.set_asker(asker);
    AskChatOwner(std::move(req), [join](const messages::ChatAnswer& a) {
      if (join->refused) return;
      if (a.error() != api::ERROR_NONE) {
        join->refused = true;
        return join->done({a.error(), a.why()}, {});
      }
      join->members[a.record().id()] = a.record();
      if (--join->remaining == 0) join->done({}, std::move(join->members));
    });
  }
}

void MessageService::InChat(uint64_t asker, const ChatKey& chat, const ReplyTo& reply_to,
                            std::function<void(const storage::ChatRecord*)> fn) {
  if (!chat.group()) return fn(nullptr);
  WithMembers(asker, {chat.chat_id}, [this, reply_to, fn = std::move(fn)](const Refusal& r, Members members) {
    if (!r.ok()) return AnswerRefusal(reply_to, r);
    fn(&members.begin()->second);
  });
}

// --- Requests from members

void MessageService::HandleCreateChat(const Incoming& in, const messages::CreateChat& req) {
  const api::CreateChat& create = req.request();
  const uint64_t creator = req.client().user();
  if (!ValidTitle(create.title())) {
    return AnswerError(in.reply_to, api::CHAT_TITLE_EMPTY, "title must be 1 to 128 characters");
  }
  if (create.random_id() == 0) return AnswerError(in.reply_to, api::RANDOM_ID_EMPTY, "random_id is 0");
  storage::ChatRecord record;
  record.set_id(NewGroupId(creator, create.random_id(), 0));
  record.set_title(create.title());
  record.set_creator(creator);
  record.set_random_id(create.random_id());
  std::vector<uint64_t> members(create.users().begin(), create.users().end());
  members.push_back(creator);
  if (std::count(members.begin(), members.end(), 0u) > 0) {
    return AnswerError(in.reply_to, api::USER_ID_INVALID, "user id 0");
  }
  std::sort(members.begin(), members.end());
  members.erase(std::unique(members.begin(), members.end()), members.end());
  if (members.size() > kMaxGroupMembers) {
    return AnswerError(in.reply_to, api::USERS_TOO_MUCH, "a basic group has at most 200 members");
  }
  *record.mutable_members() = {members.begin(), members.end()};
  messages::ChatRequest ask;
  ask.set_kind(messages::ChatRequest::CREATE);
  ask.set_chat_id(record.id());
  ask.set_asker(creator);
  *ask.mutable_record() = record;
  AskChatOwner(std::move(ask), [this, reply_to = in.reply_to](const messages::ChatAnswer& a) {
    if (a.error() != api::ERROR_NONE) return AnswerError(reply_to, a.error(), a.why());
    const storage::ChatRecord& group = a.record();
    // Service messages reach every device of the actor too: none of them
    // knows the message's random_id.
    Draft draft;
    draft.message.set_from_user(group.creator());
    draft.message.set_chat_id(group.id());
    draft.message.set_text(group.title());
    draft.message.set_random_id(group.random_id());
    draft.message.set_action(api::ACTION_CHAT_CREATE);
    if (!StoreOnce(draft, group, reply_to)) return;
    api::ServerFrame frame;
    *frame.mutable_chat() = ToApi(group);
    Answer(reply_to, std::move(frame));
  });
}

void MessageService::HandleAddChatUser(const Incoming& in, const messages::AddChatUser& req) {
  messages::ChatRequest ask;
  ask.set_kind(messages::ChatRequest::ADD);
  ask.set_chat_id(req.request().chat_id());
  ask.set_user(req.request().user_id());
  ChangeMembers(in, req.client(), std::move(ask));
}

void MessageService::HandleDeleteChatUser(const Incoming& in, const messages::DeleteChatUser& req) {
  messages::ChatRequest ask;
  ask.set_kind(messages::ChatRequest::REMOVE);
  ask.set_chat_id(req.request().chat_id());
  ask.set_user(req.request().user_id());
  ChangeMembers(in, req.client(), std::move(ask));
}

// The group's owner changes the record; then the asker's box sends the
// service message to the members (and to whoever was removed).
void MessageService::ChangeMembers(const Incoming& in, const rpc::ClientRef& client, messages::ChatRequest request) {
  if (request.chat_id() == 0) return AnswerError(in.reply_to, api::CHAT_ID_INVALID, "chat_id is 0");
  if (request.user() == 0) return AnswerError(in.reply_to, api::USER_ID_INVALID, "user_id is 0");
  request.set_asker(client.user());
  const bool add = request.kind() == messages::ChatRequest::ADD;
  const uint64_t user = request.user();
  AskChatOwner(std::move(request), [this, reply_to = in.reply_to, client, add, user](const messages::ChatAnswer& a) {
    if (a.error() != api::ERROR_NONE) return AnswerError(reply_to, a.error(), a.why());
    storage::ChatRecord told = a.record();
    if (!add) {
      told.add_members(user);  // the one removed learns it too
      std::sort(told.mutable_members()->begin(), told.mutable_members()->end());
    }
    Draft draft;
    draft.message.set_from_user(client.user());
    draft.message.set_chat_id(told.id());
    draft.message.set_random_id(ChangeRandomId(told.id(), told.change_seq()));
    draft.message.set_action(add ? api::ACTION_ADD_USER : api::ACTION_DELETE_USER);
    draft.message.set_action_user(user);
    if (StoreOnce(draft, told, reply_to)) AnswerDone(reply_to);
  });
}

bool MessageService::StoreOnce(const Draft& draft, const storage::ChatRecord& group, const ReplyTo& reply_to) {
  Status s;
  storage::SendRecord sent;
  // A retry finds the service message stored already.
  if (!boxes_.FindSend(draft.message.from_user(), draft.message.random_id(), &s) && s.ok()) {
    if (const Refusal r = Store(draft, &group, &sent); !r.ok()) {
      AnswerRefusal(reply_to, r);
      return false;
    }
  }
  if (!s.ok()) AnswerError(reply_to, api::INTERNAL, s.message());
  return s.ok();
}

void MessageService::HandleGetChat(const Incoming& in, const messages::GetChat& req) {
  const ChatKey chat{0, req.request().chat_id()};
  if (chat.chat_id == 0) return AnswerError(in.reply_to, api::CHAT_ID_INVALID, "chat_id is 0");
  InChat(req.client().user(), chat, in.reply_to, [this, reply_to = in.reply_to](const storage::ChatRecord* group) {
    api::ServerFrame frame;
    *frame.mutable_chat() = ToApi(*group);
    Answer(reply_to, std::move(frame));
  });
}

}  // namespace msgbed
