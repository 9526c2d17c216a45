// The botapi role's registration (roles/registry.h): the Bot API server.
#pragma once

#include "roles/registry.h"

namespace msgbed {

RoleSpec BotApiRole();

}  // namespace msgbed
