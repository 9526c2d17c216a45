// The messages role's registration (roles/registry.h).
#pragma once

#include "roles/registry.h"

namespace msgbed {

RoleSpec MessagesRole();

}  // namespace msgbed
