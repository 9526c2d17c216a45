// The service roles and the one place that builds a core for a role. Both
// runtimes deploy through it, so a role means the same code in each world.
#pragma once

#include <memory>
#include <string>

#include "core/cluster.h"
#include "core/service.h"
#include "gateway/gateway_service.h"

namespace msgbed {

inline constexpr const char* kAllRoles[] = {role::kGateway, role::kMessages, role::kSync};

bool IsRole(const std::string& name);

// Per-role settings a deployment may change (defaults otherwise).
struct RoleSettings {
  GatewayLimits gateway;
};

// REQUIRES: IsRole(role). The core acts only through env.
std::unique_ptr<Service> MakeService(const std::string& role, Env* env, const ClusterShape& shape,
                                     const RoleSettings& settings = {});

}  // namespace msgbed
