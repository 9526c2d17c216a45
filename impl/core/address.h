// Service addresses: a role ("gateway", "messages", "sync", "auth") and an instance index.
#pragma once

#include <bit>
#include <cstdint>
#include <string>
#include <utility>

#include "proto/rpc.pb.h"

namespace msgbed {

namespace role {
inline constexpr const char* kGateway = "gateway";
inline constexpr const char* kMessages = "messages";
inline constexpr const char* kSync = "sync";
inline constexpr const char* kAuth = "auth";
inline constexpr const char* kMedia = "media";
inline constexpr const char* kBotApi = "botapi";
}  // namespace role

// A service instance's address, a plain value. Envelopes, replies and
// calls copy addresses at every hop; a copy of this one allocates nothing
// (role names fit std::string's inline buffer), where the Protobuf
// rpc.Address allocates its string on every copy. It converts to and
// from rpc.Address where a Protobuf message holds one.
class Address {
 public:
  Address() = default;
  Address(std::string role, uint32_t index) : role_(std::move(role)), index_(index) {}
  Address(const rpc::Address& a) : role_(a.role()), index_(a.index()) {}  // NOLINT: as the wire holds it
  operator rpc::Address() const {                                         // NOLINT
    rpc::Address a;
    a.set_role(role_);
    a.set_index(index_);
    return a;
  }

  const std::string& role() const { return role_; }
  uint32_t index() const { return index_; }

  // The bytes it takes serialized, as rpc.Address's ByteSizeLong.
  size_t ByteSizeLong() const {
    auto varint = [](uint64_t v) { return static_cast<size_t>(1 + (std::bit_width(v | 1) - 1) / 7); };
    return (role_.empty() ? 0 : 1 + varint(role_.size()) + role_.size()) + (index_ == 0 ? 0 : 1 + varint(index_));
  }

 private:
  std::string role_;
  uint32_t index_ = 0;
};

inline Address MakeAddress(const std::string& role, uint32_t index) { return Address(role, index); }

// "role/index", e.g. "messages/1".
inline std::string ToString(const Address& a) { return a.role() + "/" + std::to_string(a.index()); }

// The inverse of ToString. REQUIRES: name is "role/index" (checked before).
inline Address ParseAddress(const std::string& name) {
  const auto slash = name.find('/');
  return MakeAddress(name.substr(0, slash), static_cast<uint32_t>(std::stoul(name.substr(slash + 1))));
}

inline bool SameAddress(const Address& a, const Address& b) { return a.index() == b.index() && a.role() == b.role(); }

struct AddressLess {
  bool operator()(const Address& a, const Address& b) const {
    return a.role() != b.role() ? a.role() < b.role() : a.index() < b.index();
  }
};

}  // namespace msgbed
