#pragma once

#include "roles/registry.h"

namespace msgbed {

// The media role: files stored once by content hash (docs/media.md).
RoleSpec MediaRole();

}  // namespace msgbed
