#include "config/role_settings.h"

namespace msgbed {

std::set<std::string> RoleSettingSections(const RoleRegistry& registry) {
  std::set<std::string> out;
  for (const auto& role : registry.roles()) {
    if (!role.settings.empty()) out.insert(role.name);
  }
  return out;
}

namespace {

// Reads one setting if present; durations come out in seconds.
void ReadSetting(const YamlReader& r, const YAML::Node& section, const std::string& path, const SettingSpec& s,
                 RoleSettings* out) {
  if (!section[s.key].IsDefined()) return;
  double v = 0;
  size_t bytes = 0;
  uint64_t count = 0;
  switch (s.kind) {
    case SettingSpec::Kind::kDuration: r.Duration(section, path, s.key, &v); break;
    case SettingSpec::Kind::kDurationOrZero: r.DurationOrZero(section, path, s.key, &v); break;
    case SettingSpec::Kind::kCount:
      r.Count(section, path, s.key, &count);
      v = static_cast<double>(count);
      break;
    case SettingSpec::Kind::kBytes:
      r.Bytes(section, path, s.key, &bytes, 1e12);
      v = static_cast<double>(bytes);
      break;
  }
  (*out)[s.key] = v;
}

}  // namespace

void ReadRoleSettings(const YamlReader& r, const YAML::Node& root, const RoleRegistry& registry,
                      std::map<std::string, RoleSettings>* out) {
  for (const auto& role : registry.roles()) {
    const YAML::Node section = root[role.name];
    if (role.settings.empty() || !section.IsDefined()) continue;
    std::set<std::string> keys;
    for (const auto& s : role.settings) keys.insert(s.key);
    r.OnlyKeys(section, role.name, keys);
    for (const auto& s : role.settings) ReadSetting(r, section, role.name, s, &(*out)[role.name]);
  }
}

}  // namespace msgbed
