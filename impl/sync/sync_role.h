// The sync role's registration (roles/registry.h).
#pragma once

#include "roles/registry.h"

namespace msgbed {

RoleSpec SyncRole();

}  // namespace msgbed
