// The format of a messages instance's store, and the migrations that bring
// an older store up to it. The version is the store's '~format' key (none:
// version 1); an instance migrates its store when it starts, before it
// serves anything, so data it hands to another instance is always current.
//
//   1 -> 2  The chat index ('c', box_store.h) lists every message of a box,
//           its own included, and none that is deleted (it listed only
//           messages others sent, deleted ones too), and channel boxes
//           have one: history pages read it.
#pragma once

#include <cstdint>

#include "core/kv_store.h"

namespace msgbed {

inline constexpr uint32_t kMessagesStoreFormat = 2;

// Brings store to kMessagesStoreFormat (nothing to do if it is). A store of
// a newer format is refused: an older binary must not write into it.
Status MigrateMessagesStore(KvStore& store);

// Marks a new, empty store (or one written by the current code) current.
void MarkMessagesStoreFormat(WriteBatch& batch);

}  // namespace msgbed
