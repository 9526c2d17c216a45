// Role settings in YAML: a top-level section named after each registered
// role that declares settings (e.g. `gateway: {idle_timeout: 60s}`), read
// the same way in deployment configs and scenarios.
#pragma once

#include <map>
#include <set>
#include <string>

#include "config/yaml_reader.h"
#include "roles/registry.h"

namespace msgbed {

// The section names (roles with settings), for YamlReader::OnlyKeys.
std::set<std::string> RoleSettingSections(const RoleRegistry& registry);

// Reads every such section present in root into (*out)[role]. Throws
// InputError (file:line:key) on an unknown key or a bad value.
void ReadRoleSettings(const YamlReader& r, const YAML::Node& root, const RoleRegistry& registry,
                      std::map<std::string, RoleSettings>* out);

}  // namespace msgbed
