#include "sync/sync_role.h"

#include "sync/sync_service.h"

namespace msgbed {

RoleSpec SyncRole() {
  RoleSpec spec;
  spec.name = role::kSync;
  spec.required = true;
  spec.summary = "update sync: where each device is online; bus records become pushes";
  // A bus message costs "record" (fetching and decoding it) plus its type's cost.
  spec.serves = {{sync::DeviceOnline::descriptor(), 10e-6}, {sync::DeviceOffline::descriptor(), 10e-6},
                 {events::BoxUpdate::descriptor(), 10e-6},  {sync::Typing::descriptor(), 10e-6},
                 {events::SecretPush::descriptor(), 10e-6}, {sync::ConnectionGone::descriptor(), 10e-6}};
  spec.other_costs = {{"reply", 10e-6}, {"record", 5e-6}};
  spec.uses_bus = true;
  spec.topics = {kUpdatesTopic};
  spec.make = [](Env* env, const ClusterShape& shape, const RoleSettings&) {
    return std::make_unique<SyncService>(env, shape);
  };
  return spec;
}

}  // namespace msgbed
