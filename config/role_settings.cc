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

// The range every setting of a kind must fall in: a timeout shorter than a
// millisecond or longer than a day, or a count past ten million, is a typo
// (and a day keeps every timer far from overflowing).
struct Range {
  double lo, hi;
  const char* lo_text;
  const char* hi_text;
};

Range RangeOf(SettingSpec::Kind kind) {
  switch (kind) {
    case SettingSpec::Kind::kDuration:
    case SettingSpec::Kind::kDurationOrZero: return {1e-3, 86400, "1ms", "1d"};
    case SettingSpec::Kind::kCount: return {1, 1e7, "1", "10000000"};
    case SettingSpec::Kind::kBytes: return {1024, double(1ull << 30), "1KiB", "1GiB"};
    case SettingSpec::Kind::kFlag: return {0, 1, "0", "1"};
  }
  return {0, 0, "", ""};
}

void CheckRange(const YamlReader& r, const YAML::Node& at, const std::string& key, const SettingSpec& s, double v) {
  if (s.kind == SettingSpec::Kind::kDurationOrZero && v == 0) return;
  Range range = RangeOf(s.kind);
  if (s.max > 0) {
    range.hi = s.max;
    range.hi_text = s.max_text.c_str();
  }
  if (!(v >= range.lo)) r.Fail(at, key, std::string("expected at least ") + range.lo_text);  // NaN too
  if (v > range.hi) r.Fail(at, key, std::string("expected at most ") + range.hi_text);
}

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
      r.Bytes(section, path, s.key, &bytes, s.max > 0 ? s.max : 1e12);
      v = static_cast<double>(bytes);
      break;
    case SettingSpec::Kind::kFlag:
      r.Number(section, path, s.key, &v, 0, 1);
      if (v != 0 && v != 1) r.Fail(section[s.key], path + "." + s.key, "expected 0 or 1");
      break;
  }
  CheckRange(r, section[s.key], path + "." + s.key, s, v);
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
