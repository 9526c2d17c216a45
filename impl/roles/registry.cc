#include "roles/registry.h"

#include <set>
#include <stdexcept>

#include "auth/auth_role.h"
#include "botapi/botapi_role.h"
#include "gateway/gateway_role.h"
#include "media/media_role.h"
#include "messages/messages_role.h"
#include "store/store_role.h"
#include "sync/sync_role.h"

namespace msgbed {

RoleRegistry& RoleRegistry::Global() {
  static RoleRegistry* registry = [] {
    auto* r = new RoleRegistry();
    r->Add(GatewayRole());
    r->Add(MessagesRole());
    r->Add(SyncRole());
    r->Add(AuthRole());
    r->Add(MediaRole());
    r->Add(StoreRole());
    r->Add(BotApiRole());
    return r;
  }();
  return *registry;
}

namespace {

// Top-level keys of scenarios and deployment configs, and the cost table's
// infrastructure prefixes: a role's settings section or cost keys would
// collide with them.
const std::set<std::string>& ReservedNames() {
  static const std::set<std::string> names = {"name",     "seed",  "duration", "drain",     "topology",   "clients",
                                              "workload", "costs", "faults",   "scale",     "kafka",      "broker",
                                              "storage",  "bus",   "security", "instances", "partitions", "sms"};
  return names;
}

bool WellFormed(const std::string& name) {
  return !name.empty() && name[0] >= 'a' && name[0] <= 'z' &&
         name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") == std::string::npos;
}

}  // namespace

void RoleRegistry::Add(RoleSpec spec) {
  if (!WellFormed(spec.name)) throw std::invalid_argument("role name '" + spec.name + "' is not [a-z][a-z0-9_]*");
  if (ReservedNames().contains(spec.name)) {
    throw std::invalid_argument("role name '" + spec.name + "' is a key of scenarios or deployment configs");
  }
  if (Find(spec.name)) throw std::invalid_argument("role '" + spec.name + "' is registered twice");
  if (!spec.make) throw std::invalid_argument("role '" + spec.name + "' has no factory");
  roles_.push_back(std::move(spec));
}

const RoleSpec* RoleRegistry::Find(std::string_view name) const {
  for (const auto& r : roles_) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

const RoleSpec& RoleRegistry::Get(std::string_view name) const {
  const RoleSpec* r = Find(name);
  if (!r) throw std::invalid_argument("no role '" + std::string(name) + "'");
  return *r;
}

std::vector<std::string> RoleRegistry::Names() const {
  std::vector<std::string> out;
  for (const auto& r : roles_) out.push_back(r.name);
  return out;
}

std::map<std::string, double> DefaultCosts(const RoleSpec& role) {
  std::map<std::string, double> out;
  for (const auto& req : role.serves) out[role.name + "." + req.type->name()] = req.default_cost;
  for (const auto& [key, cost] : role.other_costs) out[role.name + "." + key] = cost;
  return out;
}

std::vector<std::string> AllTopics(const RoleRegistry& registry) {
  std::set<std::string> topics;
  for (const auto& r : registry.roles()) topics.insert(r.topics.begin(), r.topics.end());
  return {topics.begin(), topics.end()};
}

double SettingOr(const RoleSpec& spec, const RoleSettings& settings, const std::string& key) {
  auto it = settings.find(key);
  if (it != settings.end()) return it->second;
  for (const auto& s : spec.settings) {
    if (s.key == key) return s.default_value;
  }
  throw std::invalid_argument("role '" + spec.name + "' has no setting '" + key + "'");
}

}  // namespace msgbed
