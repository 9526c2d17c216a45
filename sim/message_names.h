// Names of the messages the simulation carries, for traces: for client
// frames the field name of the set `body` oneof ("send_message", "update",
// ...), for service messages their type ("SendMessage", "Push",
// "ClientAnswer", ...). The returned views point into Protobuf's descriptor
// pool and live as long as the process.
#pragma once

#include <google/protobuf/message.h>

#include <string_view>

namespace msgbed::sim {

inline std::string_view BodyName(const google::protobuf::Message& m) {
  const auto* oneof = m.GetDescriptor()->FindOneofByName("body");
  if (oneof == nullptr) return m.GetDescriptor()->name();
  const auto* field = m.GetReflection()->GetOneofFieldDescriptor(m, oneof);
  return field ? std::string_view(field->name()) : std::string_view("empty");
}

}  // namespace msgbed::sim
