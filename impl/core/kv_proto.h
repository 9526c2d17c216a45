// ReadProto: a Protobuf record of a KvStore, for the cores' stores.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/kv_store.h"

namespace msgbed {

// The record at key, nullopt if there is none (or *status is not ok: the
// read failed, or the bytes do not parse as a `what`).
template <typename Proto>
std::optional<Proto> ReadProto(KvStore* kv, std::string_view key, Status* status, const char* what) {
  auto bytes = kv->Get(key, status);
  if (!status->ok() || !bytes) return std::nullopt;
  Proto p;
  if (!p.ParseFromString(*bytes)) {
    *status = Status::Corruption(std::string("unparsable ") + what);
    return std::nullopt;
  }
  return p;
}

}  // namespace msgbed
