#include "store/store_role.h"

#include "store/placement.h"
#include "store/store_service.h"

namespace msgbed {

RoleSpec StoreRole() {
  RoleSpec spec;
  spec.name = kStoreRole;
  spec.summary =
      "storage nodes of the message store: replicas of message boxes, written by the messages instances that own "
      "them, read back when one recovers";
  // A box's bytes are charged on the node's disk; these are the CPU.
  spec.serves = {{store::Apply::descriptor(), 20e-6},
                 {store::PutBox::descriptor(), 200e-6},
                 {store::GetVersions::descriptor(), 20e-6},
                 {store::ListOwned::descriptor(), 500e-6},
                 {store::GetBox::descriptor(), 200e-6}};
  spec.other_costs = {{"reply", 10e-6}};
  spec.make = [](Env* env, const ClusterShape&, const RoleSettings&) { return std::make_unique<StoreService>(env); };
  return spec;
}

}  // namespace msgbed
