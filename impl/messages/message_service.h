// MessageService: the message handling service (docs/messaging.md). Each
// instance owns the message boxes of the users BoxOwner maps to it, and the
// records of the basic groups ChatOwner maps to it (messages/placement.h).
//
// Every request is handled by the owner of the asker's box, which changes
// that box (BoxStore::Change, one atomic batch) and queues what other boxes
// owe in the box's outbox, in the same batch. The outbox toward each other
// box is applied there one entry at a time, in order, idempotently (a call,
// ApplyToBox; a failure is retried, 200 ms doubling to 5 s, also after a
// restart), so every box holds a chat in its sender's order and nothing
// accepted is ever lost. Every change of a box goes on the bus
// (events.BoxUpdate, keyed by the box's user), where sync pushes it.
//
// SendMessage from A to B, handled by A's owner:
//   1. A's box takes the message (pts_A), with a SendRecord keyed by
//      (A, random_id) and the APPEND owed to B's box: a repeated request
//      returns the first result instead of a second message.
//   2. B's copy is appended through the outbox (pts_B).
//   3. When B's box has it, the sender gets SentMessage; if that fails the
//      sender gets INTERNAL (and a retry with the same random_id waits for
//      the outbox, not for a second append).
// To a basic group, A's owner first asks the group's owner for its members
// (and whether A is one); each other member's box gets an APPEND, and the
// sender is answered once A's box has it (the outbox delivers the rest).
// Edits, deletions for everyone and read marks travel the same way.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <unordered_map>
#include <vector>

#include "core/cluster.h"
#include "core/service.h"
#include "messages/box_handoff.h"
#include "messages/box_store.h"
#include "messages/replicator.h"
#include "messages/secret_store.h"
#include "proto/events.pb.h"
#include "proto/messages.pb.h"

namespace msgbed {

// Longest text accepted, in Unicode code points (Telegram: 4096 characters).
inline constexpr size_t kMaxMessageChars = 4096;
// Longest group title, in code points (Telegram: 128).
inline constexpr size_t kMaxTitleChars = 128;
// Members of a basic group, its creator included (Telegram: 200).
inline constexpr size_t kMaxGroupMembers = 200;
// getDifference returns at most this many updates per call...
inline constexpr uint32_t kMaxDifferenceLimit = 1000;
inline constexpr uint32_t kDefaultDifferenceLimit = 100;
// ... and at most this many bytes of them (at least one update), so that a
// slice always fits the 1 MiB frame limit whatever the client asks for: a
// 4096-character message is at most 16 KiB.
inline constexpr size_t kMaxDifferenceBytes = 512 * 1024;
// At most this many ids per DeleteMessages (Telegram: 100).
inline constexpr int kMaxDeleteIds = 100;
// A peer box that has not answered by then fails the send with INTERNAL
// (the client retries with the same random_id).
inline constexpr Micros kPeerAppendTimeout = 5 * kSecond;
inline constexpr Micros kFirstPeerRetry = 200 * kMillisecond;
inline constexpr Micros kMaxPeerRetry = 5 * kSecond;
// A group's owner that has not answered by then fails the request with INTERNAL.
inline constexpr Micros kChatCallTimeout = 5 * kSecond;
// A chat's typing notice is passed on at most once per interval per user.
inline constexpr Micros kTypingInterval = 3 * kSecond;
// Members of a supergroup (Telegram: 200,000); a broadcast channel has no limit.
inline constexpr uint64_t kMaxSupergroupMembers = 200'000;
// A channel post goes on the bus to at most this many members per record.
inline constexpr size_t kFanoutChunk = 1024;
// getChannelDifference from further behind than this many updates is
// answered too_long, with the channel's latest kTooLongMessages messages.
inline constexpr uint64_t kChannelTooLong = 10'000;
inline constexpr int kTooLongMessages = 100;
// A channel update's fan-out is published again after a restart unless
// this long has passed since it was first (the producer has sent it by then).
inline constexpr Micros kFanoutSettle = 5 * kSecond;
// GetHistory: a page's default and largest number of messages (Telegram's
// messages.getHistory), and how far add_offset may reach.
inline constexpr uint32_t kDefaultHistoryLimit = 20;
inline constexpr uint32_t kMaxHistoryLimit = 100;
inline constexpr int32_t kMaxHistoryOffset = 10'000;
// A retention sweep expires at most this many messages of a box, in a turn
// of at most kSweepBoxes boxes, before it lets other work run.
inline constexpr size_t kSweepMessages = 1000;
inline constexpr size_t kSweepBoxes = 64;

// Secret chats (secret_chats.cc): the most bytes one SendEncrypted relays,
// and how many queued updates a GetSecretDifference returns at most.
inline constexpr size_t kMaxSecretBytes = 64 * 1024;
inline constexpr uint32_t kDefaultSecretLimit = 100;
inline constexpr uint32_t kMaxSecretLimit = 1000;

// The messages role's settings (messages_role.cc).
struct MessageOptions {
  // Messages older than this leave every box, with their updates; 0: kept forever.
  Micros retention = 0;
  // How often each instance looks for expired messages (with retention set).
  Micros sweep_interval = 60 * kSecond;
  // The message store's tier, when store nodes are deployed (replicator.h).
  ReplicationOptions replication;
};

// Why a chat reference (exactly one of user, group, channel) is unusable;
// ERROR_NONE if it is not.
api::ErrorCode CheckChat(const ChatKey& chat);
// Why text cannot be a message's; ERROR_NONE if it can.
api::ErrorCode CheckMessageText(const std::string& text);
// A group's or channel's title: UTF-8, 1 to kMaxTitleChars, not blank.
bool ValidTitle(const std::string& title);
// A new group's (kind 0) or channel's (kind 1) id follows from its creator
// and random_id, so that a retried create names the same one. 62 bits; never 0.
uint64_t NewGroupId(uint64_t creator, uint64_t random_id, uint64_t kind);

class MessageService final : public Service {
 public:
  MessageService(Env* env, ClusterShape shape, MessageOptions options = {});

  void Register(Handlers& handlers) override;
  void OnReshape(const ClusterShape& now) override;

  // Outbox entries being applied on another instance.
  size_t pending_sends() const { return pending_sends_; }

 private:
  struct Refusal {
    api::ErrorCode code = api::ERROR_NONE;
    std::string why;
    bool ok() const { return code == api::ERROR_NONE; }
  };
  // A message to send, whatever asked for it (SendMessage, ForwardMessage,
  // a group's service message).
  struct Draft {
    api::Message message;  // from, chat, text, random_id, reply/forward/action fields
    uint64_t origin_device = 0;

    // From client's user and device to chat; the caller adds the rest.
    static Draft Of(const rpc::ClientRef& client, const ChatKey& chat, uint64_t random_id, std::string text) {
      Draft d;
      d.origin_device = client.device();
      d.message.set_from_user(client.user());
      d.message.set_peer_user(chat.peer_user);
      d.message.set_chat_id(chat.chat_id);
      d.message.set_channel_id(chat.channel_id);
      d.message.set_random_id(random_id);
      d.message.set_text(std::move(text));
      return d;
    }
  };
  using Members = std::map<uint64_t, storage::ChatRecord>;  // chat -> record
  using MembersDone = std::function<void(const Refusal&, Members)>;

  // Serves M with fn at the instance that owns id_of(request): passes it on
  // if that is another (a reshape moved the box) and relays the answer,
  // and waits while the box is on its way here (box_handoff.h).
  template <typename M>
  void Serve(Handlers& handlers, void (MessageService::*fn)(const Incoming&, const M&), uint64_t (*id_of)(const M&));
  void PassOn(const Incoming& in, Body body, uint64_t id);
  const ClusterShape& shape() const { return handoff_.shape(); }
  KvStore& kv() { return handoff_.store(); }

  // --- Sending (message_service.cc)
  void HandleSend(const Incoming& in, const messages::SendMessage& req);
  // --- Forwarding (forward.cc): handled by the destination's owner,
  // which fetches the source from its owner (the sender's box or a channel's).
  void HandleForward(const Incoming& in, const messages::ForwardMessage& req);
  // A forward whose random_id made a copy already is answered with it
  // (true); false if there is none.
  bool AnsweredAsRepeat(const messages::ForwardMessage& req, const ReplyTo& reply_to);
  void FetchSource(const messages::GetSourceMessage& ask, std::function<void(const messages::SourceMessage&)> done);
  void HandleGetSourceMessage(const Incoming& in, const messages::GetSourceMessage& req);
  messages::SourceMessage ReadSource(const messages::GetSourceMessage& req);
  // Checks the chat, then stores the draft and answers reply_to with
  // SentMessage (private chats: once the peer's box has it too).
  void Submit(Draft draft, const ReplyTo& reply_to);
  // Submit, or PostToChannel for a channel's draft.
  void SendDraft(Draft draft, const ReplyTo& reply_to);
  // Puts draft into its sender's box and queues its copies (group: the
  // record the group's owner gave; nullptr for a private chat).
  Refusal Store(const Draft& draft, const storage::ChatRecord* group, storage::SendRecord* record);
  // Store, then the answer (now, or once the peer's box has it).
  void StoreAndAnswer(const Draft& draft, const storage::ChatRecord* group, const ReplyTo& reply_to);
  void Resume(const ReplyTo& reply_to, const Draft& draft, const storage::SendRecord& record);
  void AnswerSent(const storage::SendRecord& record, const ReplyTo& reply_to);
  // SentMessage for record's send once its peer's box has it (now, or when the outbox gets there).
  void AnswerOnceStored(const storage::SendRecord& record, const ReplyTo& reply_to);

  // --- The outbox (outbox.cc)
  using OutboxKey = std::pair<uint64_t, uint64_t>;  // (user, peer box)
  void ResumeOutboxes();
  // Outboxes and channel fan-outs left unfinished (a crash, or boxes that moved here).
  void ResumeAll();
  // reply_to gets the send's result once its outbox entry seq is applied.
  void WaitForOp(const OutboxKey& key, uint64_t seq, uint64_t random_id, const ReplyTo& reply_to);
  void Pump(const OutboxKey& key);
  void Applied(const OutboxKey& key, uint64_t seq, const storage::BoxOp& op, bool ok);
  void Drain(const OutboxKey& key, const Status& s);
  void HandleApply(const Incoming& in, const messages::ApplyToBox& req);
  // Applies op to box_user's box (here) and publishes what changed.
  // Returns false on storage failure.
  bool ApplyLocally(uint64_t box_user, const storage::BoxOp& op);
  Status ApplyOp(BoxStore::Change& change, const storage::BoxOp& op);

  // --- Groups (chats.cc)
  void HandleCreateChat(const Incoming& in, const messages::CreateChat& req);
  void HandleAddChatUser(const Incoming& in, const messages::AddChatUser& req);
  void HandleDeleteChatUser(const Incoming& in, const messages::DeleteChatUser& req);
  void HandleGetChat(const Incoming& in, const messages::GetChat& req);
  void ChangeMembers(const Incoming& in, const rpc::ClientRef& client, messages::ChatRequest request);
  // Stores a group's service message unless its sender's box has its
  // random_id already (a retry); false, with reply_to answered, on failure.
  bool StoreOnce(const Draft& draft, const storage::ChatRecord& group, const ReplyTo& reply_to);
  // The group's owner side.
  void HandleChatRequest(const Incoming& in, const messages::ChatRequest& req);
  messages::ChatAnswer DoChatRequest(const messages::ChatRequest& req);
  // Asks each chat's owner (here or a call) for its record, asker being a
  // member; done runs once, with every record or the first refusal.
  void WithMembers(uint64_t asker, const std::vector<uint64_t>& chats, MembersDone done);
  void AskChatOwner(messages::ChatRequest request, std::function<void(const messages::ChatAnswer&)> done);
  // Runs fn with the group's record (nullptr for a private chat) once the
  // group's owner says asker is a member; a refusal answers reply_to.
  void InChat(uint64_t asker, const ChatKey& chat, const ReplyTo& reply_to,
              std::function<void(const storage::ChatRecord*)> fn);

  // --- Channels and supergroups (channels.cc): the requests a member's
  // box owner handles, then those the channel's owner does.
  void HandleCreateChannel(const Incoming& in, const messages::CreateChannel& req);
  void HandleJoinChannel(const Incoming& in, const messages::JoinChannel& req);
  void HandleLeaveChannel(const Incoming& in, const messages::LeaveChannel& req);
  // The channel's owner takes user in (or out), then user's box says so.
  void ChangeChannelMembership(const ReplyTo& reply_to, uint64_t user, uint64_t channel, bool join);
  void AskChannelOwner(messages::ChannelRequest request, std::function<void(const messages::ChannelAnswer&)> done);
  // After the channel's owner agreed: user's box says so (once), then
  // reply_to gets answer.
  void NoteMembership(uint64_t user, uint64_t channel, bool joined, const ReplyTo& reply_to, api::ServerFrame answer);
  void HandleChannelRequest(const Incoming& in, const messages::ChannelRequest& req);
  messages::ChannelAnswer DoChannelRequest(const messages::ChannelRequest& req);
  // A member read a supergroup up to max_id: its members learn READ_OUTBOX.
  messages::ChannelAnswer ChannelRead(const messages::ChannelRequest& req);
  void HandleEditChannelAdmin(const Incoming& in, const messages::EditChannelAdmin& req);
  void HandleGetChannel(const Incoming& in, const messages::GetChannel& req);
  void HandleGetChannelDifference(const Incoming& in, const messages::GetChannelDifference& req);
  // Stores draft (a post or a forward) in its channel's box once per
  // random_id and answers reply_to with SentMessage.
  void PostToChannel(const Draft& draft, const ReplyTo& reply_to);
  void AnswerPosted(const storage::StoredMessage& post, const ReplyTo& reply_to);
  void ChannelEdit(const Incoming& in, const messages::EditMessage& req);
  void ChannelDelete(const Incoming& in, const messages::DeleteMessages& req);
  // The channel's record, if user may act in it; a refusal otherwise.
  Refusal CheckMember(uint64_t channel, uint64_t user, storage::ChannelRecord* record);
  api::Channel ChannelInfo(const storage::ChannelRecord& record);
  // Commits change of a channel's box and publishes its updates to the members.
  Status CommitChannel(BoxStore::Change& change, uint64_t origin_user, uint64_t origin_device);
  void FanOut(uint64_t channel, const api::Update& update, uint64_t origin_user, uint64_t origin_device);
  // Fan-outs a crash may have cut off (their 'P' markers) go out again.
  void ResumeFanOuts();
  void SettleFanOut(uint64_t channel, uint64_t pts);
  // The channel's members, by bus partition (loaded once, then kept).
  const std::vector<std::vector<uint64_t>>* MembersByPartition(uint64_t channel);

  // --- Secret chats (secret_chats.cc): each side's record and each
  // device's queue at the owner of the side's box; what one side tells the
  // other goes through the outbox (BoxOp SECRET), in order, once.
  void HandleRequestEncryption(const Incoming& in, const messages::RequestEncryption& req);
  void HandleAcceptEncryption(const Incoming& in, const messages::AcceptEncryption& req);
  void HandleDiscardEncryption(const Incoming& in, const messages::DiscardEncryption& req);
  void HandleSendEncrypted(const Incoming& in, const messages::SendEncrypted& req);
  void HandleGetSecretDifference(const Incoming& in, const messages::GetSecretDifference& req);
  void HandleReceivedQueue(const Incoming& in, const messages::ReceivedQueue& req);
  // The asker's side of chat if its device may act in it; a refusal otherwise.
  Refusal AskerSide(const rpc::ClientRef& client, uint64_t chat, storage::SecretChatSide* side);
  // Stores side with extra, and queues op (given side's next seq) for the
  // other side's box, in one batch.
  Status TellOtherSide(uint64_t user, storage::SecretChatSide& side, storage::SecretOp op, WriteBatch extra = {});
  // The receiving box's part of a SecretOp.
  bool ApplySecret(uint64_t user, const storage::SecretOp& op);
  // Queues update for user's device (0: pushes it, unqueued, to every device).
  Status QueueSecret(WriteBatch& batch, uint64_t user, uint64_t device, api::SecretUpdate update,
                     std::vector<events::SecretPush>* pushes);
  void PublishSecrets(std::vector<events::SecretPush>& pushes);

  // --- History pages (history_page.cc)
  void HandleGetHistory(const Incoming& in, const messages::GetHistory& req);
  // The page ask names of chat in box's store (a user's box, or a channel's).
  Status ReadHistoryPage(BoxStore& store, uint64_t box, const ChatKey& chat, const api::GetHistory& ask,
                         api::History* page);

  // --- Retention (retention.cc): a sweep over this instance's boxes, then
  // its channels' boxes, every sweep_interval.
  void StartSweep();
  void SweepTurn(bool channels, uint64_t after);

  // --- History (history.cc)
  void HandleEdit(const Incoming& in, const messages::EditMessage& req);
  void HandleDelete(const Incoming& in, const messages::DeleteMessages& req);
  void HandleRead(const Incoming& in, const messages::ReadHistory& req);
  // Answers a read up to max_id; of a channel, once its owner has the mark
  // too (asked again on a retry: the mark only grows).
  void ReadDone(const ReplyTo& reply_to, uint64_t user, const ChatKey& chat, uint64_t max_id);
  void HandleTyping(const Incoming& in, const messages::SetTyping& req);
  void HandleGetDifference(const Incoming& in, const messages::GetDifference& req);
  // At most limit updates after pts, and at most kMaxDifferenceBytes.
  Status ReadDifference(uint64_t user, uint64_t pts, uint32_t limit, api::Difference* diff);
  // Queues op toward every box of chat but user's own.
  static void QueueToChat(BoxStore::Change& change, const ChatKey& chat, const storage::ChatRecord* group,
                          const storage::BoxOp& op);

  // Writes change, publishes its updates (origin_device: the sender, who
  // has the first of them already), and pumps the outboxes it filled.
  Status CommitAndPublish(BoxStore::Change& change, uint64_t origin_device = 0);
  void Publish(uint64_t user, const api::Update& update, uint64_t origin_device);
  void Answer(const ReplyTo& to, api::ServerFrame frame);
  void AnswerError(const ReplyTo& to, api::ErrorCode code, const std::string& why);
  void AnswerDone(const ReplyTo& to);
  void AnswerRefusal(const ReplyTo& to, const Refusal& r) { AnswerError(to, r.code, r.why); }

  // The core's Env: the replicator with store nodes, the host's without.
  Env* env_;
  MessageOptions options_;
  // Not ok: the store could not be brought to the current format
  // (store_format.h); nothing is served.
  Status store_status_;
  Replicator replicator_;
  BoxHandoff handoff_;  // the shape, and the store the core writes through
  BoxStore boxes_;
  BoxStore channel_boxes_;
  SecretStore secrets_;
  size_t pending_sends_ = 0;
  // Outboxes being applied.
  struct Outbox {
    bool in_flight = false;
    TimerId retry = 0;  // set while waiting to try again
    uint32_t failures = 0;
    struct Waiting {
      uint64_t random_id = 0;
      std::vector<ReplyTo> callers;
    };
    std::map<uint64_t, Waiting> waiting;  // seq -> the send's callers, answered once applied
  };
  std::map<OutboxKey, Outbox> outboxes_;
  std::unordered_map<uint64_t, std::vector<std::vector<uint64_t>>> channel_members_;
  // (user, chat kind, chat peer) -> when its last typing notice was passed on.
  std::map<std::array<uint64_t, 3>, Micros> typing_;
};

}  // namespace msgbed
