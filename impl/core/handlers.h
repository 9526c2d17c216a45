// Handlers: a core's dispatch table, one handler per message type it
// serves. A core fills it once (Service::Register); the host dispatches
// each incoming message by its type, and the simulator reads the table to
// know which requests must have a cost.
#pragma once

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include <functional>
#include <unordered_map>
#include <vector>

#include "core/envelope.h"

namespace msgbed {

class Handlers {
 public:
  using Fn = std::function<void(const Incoming&, const google::protobuf::Message&)>;

  // Routes messages of type M to (core->*fn)(incoming, message).
  template <typename M, typename C>
  void On(C* core, void (C::*fn)(const Incoming&, const M&)) {
    table_[M::descriptor()] = [core, fn](const Incoming& in, const google::protobuf::Message& m) {
      (core->*fn)(in, static_cast<const M&>(m));
    };
  }

  // Routes messages of type M to fn(incoming, message).
  template <typename M, typename F>
  void On(F fn) {
    table_[M::descriptor()] = [fn = std::move(fn)](const Incoming& in, const google::protobuf::Message& m) {
      fn(in, static_cast<const M&>(m));
    };
  }

  // Runs the handler for body's type; false if there is none.
  bool Dispatch(const Incoming& in, const google::protobuf::Message& body) const {
    auto it = table_.find(body.GetDescriptor());
    if (it == table_.end()) return false;
    it->second(in, body);
    return true;
  }

  // The types handled, in no particular order.
  std::vector<const google::protobuf::Descriptor*> types() const {
    std::vector<const google::protobuf::Descriptor*> out;
    for (const auto& [d, fn] : table_) out.push_back(d);
    return out;
  }

 private:
  std::unordered_map<const google::protobuf::Descriptor*, Fn> table_;
};

}  // namespace msgbed
