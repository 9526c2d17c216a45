#include "messages/messages_role.h"

#include <cmath>

#include "messages/message_service.h"

namespace msgbed {

RoleSpec MessagesRole() {
  RoleSpec spec;
  spec.name = role::kMessages;
  spec.required = true;
  spec.summary =
      "message handling: message boxes with their pts, private chats and basic groups, idempotent sends, edits, "
      "deletions, read marks, channels and supergroups with their fan-out, getDifference, secret chats' relay and "
      "per-device queues";
  spec.serves = {{messages::SendMessage::descriptor(), 60e-6},
                 {messages::ForwardMessage::descriptor(), 60e-6},
                 {messages::EditMessage::descriptor(), 60e-6},
                 {messages::DeleteMessages::descriptor(), 60e-6},
                 {messages::ReadHistory::descriptor(), 40e-6},
                 {messages::SetTyping::descriptor(), 10e-6},
                 {messages::CreateChat::descriptor(), 80e-6},
                 {messages::AddChatUser::descriptor(), 60e-6},
                 {messages::DeleteChatUser::descriptor(), 60e-6},
                 {messages::GetChat::descriptor(), 20e-6},
                 {messages::ChatRequest::descriptor(), 20e-6},
                 {messages::ApplyToBox::descriptor(), 40e-6},
                 {messages::GetDifference::descriptor(), 50e-6},
                 {messages::CreateChannel::descriptor(), 80e-6},
                 {messages::JoinChannel::descriptor(), 40e-6},
                 {messages::LeaveChannel::descriptor(), 40e-6},
                 {messages::ChannelRequest::descriptor(), 30e-6},
                 {messages::EditChannelAdmin::descriptor(), 30e-6},
                 {messages::GetChannel::descriptor(), 20e-6},
                 {messages::GetChannelDifference::descriptor(), 50e-6},
                 {messages::GetSourceMessage::descriptor(), 20e-6},
                 {messages::HandoffData::descriptor(), 2e-3},
                 {messages::HandoffStatus::descriptor(), 5e-6},
                 {messages::GetHistory::descriptor(), 50e-6},
                 // Secret chats: the server stores and relays opaque bytes (no crypto here).
                 {messages::RequestEncryption::descriptor(), 40e-6},
                 {messages::AcceptEncryption::descriptor(), 40e-6},
                 {messages::DiscardEncryption::descriptor(), 40e-6},
                 {messages::SendEncrypted::descriptor(), 40e-6},
                 {messages::GetSecretDifference::descriptor(), 40e-6},
                 {messages::ReceivedQueue::descriptor(), 20e-6}};
  spec.other_costs = {{"reply", 10e-6}};
  spec.uses_bus = true;
  spec.reshapable = true;
  spec.topics = {kUpdatesTopic};
  using K = SettingSpec::Kind;
  const MessageOptions d;
  spec.settings = {
      {"retention", K::kDurationOrZero, double(d.retention) / kSecond,
       "messages older than this leave every box, with their updates (0: kept forever)", 3650 * 86400.0, "3650d"},
      {"retention_sweep", K::kDuration, double(d.sweep_interval) / kSecond,
       "how often each instance looks for expired messages, when retention is set"},
      {"store_replicas", K::kCount, double(d.replication.replicas),
       "store nodes that keep each box, when the store role is deployed (at most the nodes there are)"},
      {"store_quorum", K::kCount, double(d.replication.quorum),
       "of them, on how many a write must be before anything that follows it leaves the instance"},
      {"store_scrub", K::kDuration, double(d.replication.scrub_interval) / kSecond,
       "how often each instance compares its boxes with their replicas and rebuilds those behind"}};
  spec.make = [](Env* env, const ClusterShape& shape, const RoleSettings& settings) {
    const RoleSpec& self = RoleRegistry::Global().Get(role::kMessages);
    auto micros = [&](const char* key) {
      return static_cast<Micros>(std::llround(SettingOr(self, settings, key) * kSecond));
    };
    MessageOptions options;
    options.retention = micros("retention");
    options.sweep_interval = micros("retention_sweep");
    options.replication.replicas = static_cast<uint32_t>(SettingOr(self, settings, "store_replicas"));
    options.replication.quorum = static_cast<uint32_t>(SettingOr(self, settings, "store_quorum"));
    options.replication.scrub_interval = micros("store_scrub");
    return std::make_unique<MessageService>(env, shape, options);
  };
  return spec;
}

}  // namespace msgbed
