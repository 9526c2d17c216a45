#include "roles/make_service.h"

#include <stdexcept>

#include "gateway/gateway_service.h"
#include "messages/message_service.h"
#include "sync/sync_service.h"

namespace msgbed {

bool IsRole(const std::string& name) {
  for (const char* r : kAllRoles) {
    if (name == r) return true;
  }
  return false;
}

std::unique_ptr<Service> MakeService(const std::string& role, Env* env, const ClusterShape& shape,
                                     const RoleSettings& settings) {
  if (role == role::kGateway) return std::make_unique<GatewayService>(env, shape, settings.gateway);
  if (role == role::kMessages) return std::make_unique<MessageService>(env, shape);
  if (role == role::kSync) return std::make_unique<SyncService>(env, shape);
  throw std::invalid_argument("unknown role '" + role + "'");
}

}  // namespace msgbed
