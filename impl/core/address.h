// Service addresses: a role ("gateway", "messages", "sync", "auth") and an instance index.
#pragma once

#include <cstdint>
#include <string>

#include "proto/rpc.pb.h"

namespace msgbed {

namespace role {
inline constexpr const char* kGateway = "gateway";
inline constexpr const char* kMessages = "messages";
inline constexpr const char* kSync = "sync";
inline constexpr const char* kAuth = "auth";
}  // namespace role

inline rpc::Address MakeAddress(const std::string& role, uint32_t index) {
  rpc::Address a;
  a.set_role(role);
  a.set_index(index);
  return a;
}

// "role/index", e.g. "messages/1".
inline std::string ToString(const rpc::Address& a) { return a.role() + "/" + std::to_string(a.index()); }

// The inverse of ToString. REQUIRES: name is "role/index" (checked before).
inline rpc::Address ParseAddress(const std::string& name) {
  const auto slash = name.find('/');
  return MakeAddress(name.substr(0, slash), static_cast<uint32_t>(std::stoul(name.substr(slash + 1))));
}

inline bool SameAddress(const rpc::Address& a, const rpc::Address& b) {
  return a.index() == b.index() && a.role() == b.role();
}

struct AddressLess {
  bool operator()(const rpc::Address& a, const rpc::Address& b) const {
    return a.role() != b.role() ? a.role() < b.role() : a.index() < b.index();
  }
};

}  // namespace msgbed
