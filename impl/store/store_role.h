#pragma once

#include "roles/registry.h"

namespace msgbed {

// The store role: storage nodes of the message store's tier (docs/storage.md).
RoleSpec StoreRole();

}  // namespace msgbed
