// The role registry refuses what would make a role unaddressable or
// collide with the keys of scenarios and deployment configs.
#include "roles/registry.h"

#include <gtest/gtest.h>

namespace msgbed {
namespace {

RoleSpec Toy(std::string name) {
  RoleSpec spec;
  spec.name = std::move(name);
  spec.make = [](Env*, const ClusterShape&, const RoleSettings&) -> std::unique_ptr<Service> { return nullptr; };
  return spec;
}

TEST(RoleRegistry, RefusesBadNamesDuplicatesAndMissingFactories) {
  RoleRegistry r;
  r.Add(Toy("media_store2"));
  EXPECT_THROW(r.Add(Toy("media_store2")), std::invalid_argument) << "twice";
  for (const char* bad : {"", "Echo", "2fa", "bot-api", "a/b", "echo "}) {
    EXPECT_THROW(r.Add(Toy(bad)), std::invalid_argument) << "'" << bad << "'";
  }
  for (const char* reserved : {"costs", "clients", "kafka", "storage", "broker", "faults", "instances"}) {
    EXPECT_THROW(r.Add(Toy(reserved)), std::invalid_argument) << reserved;
  }
  RoleSpec no_factory = Toy("echo");
  no_factory.make = nullptr;
  EXPECT_THROW(r.Add(no_factory), std::invalid_argument);
}

TEST(RoleRegistry, ANewRoleIsOptionalAndTheFourCoreRolesAreRequired) {
  EXPECT_FALSE(RoleSpec().required);
  for (const auto& role : RoleRegistry::Global().roles()) {
    const bool core = role.name == role::kGateway || role.name == role::kMessages || role.name == role::kSync ||
                      role.name == role::kAuth;
    EXPECT_EQ(role.required, core) << role.name;
  }
}

}  // namespace
}  // namespace msgbed
