// A box of a messages store, as the message store's tier replicates it:
// every key of one placement id (messages/placement.h), whatever its tag,
// users' boxes, group records and channels alike, and the box's version
// (how many replicated writes made it), kept under its own key.
#pragma once

#include <cstdint>
#include <string>

#include "core/kv_store.h"
#include "proto/store.pb.h"

namespace msgbed {

// 'V' id -> 8 bytes: the box's version. Sorts with the box's other keys.
std::string BoxVersionKey(uint64_t id);
// The version the store holds of box id (0: none). Sets *status on failure.
uint64_t BoxVersion(KvStore& kv, uint64_t id, Status* status);
// A version key's value as a number.
uint64_t DecodeBoxVersion(std::string_view value);
// Puts version into batch.
void PutBoxVersion(WriteBatch& batch, uint64_t id, uint64_t version);

// Every key of box id (its version key too), in key order: one scan per
// tag of messages/placement.h's kIdTags. REQUIRES: id < 2^64-1.
Status ReadBoxKeys(KvStore& kv, uint64_t id, KvStore::Entries* out);
// Replaces box id in kv by entries, in one batch.
Status ReplaceBox(KvStore& kv, uint64_t id, const google::protobuf::RepeatedPtrField<store::Entry>& entries);

}  // namespace msgbed
