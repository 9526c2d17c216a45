// The auth role's registration (roles/registry.h).
#pragma once

#include "roles/registry.h"

namespace msgbed {

RoleSpec AuthRole();

}  // namespace msgbed
