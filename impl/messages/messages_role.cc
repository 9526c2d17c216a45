#include "messages/messages_role.h"

#include "messages/message_service.h"

namespace msgbed {

RoleSpec MessagesRole() {
  RoleSpec spec;
  spec.name = role::kMessages;
  spec.required = true;
  spec.summary = "message handling: message boxes with their pts, idempotent sends, getDifference";
  spec.serves = {{messages::SendMessage::descriptor(), 60e-6},
                 {messages::AppendToBox::descriptor(), 40e-6},
                 {messages::GetDifference::descriptor(), 50e-6}};
  spec.other_costs = {{"reply", 10e-6}};
  spec.uses_bus = true;
  spec.topics = {kUpdatesTopic};
  spec.make = [](Env* env, const ClusterShape& shape, const RoleSettings&) {
    return std::make_unique<MessageService>(env, shape);
  };
  return spec;
}

}  // namespace msgbed
