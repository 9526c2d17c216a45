// The gateway role's registration (roles/registry.h).
#pragma once

#include "roles/registry.h"

namespace msgbed {

RoleSpec GatewayRole();

}  // namespace msgbed
