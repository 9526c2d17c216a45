#include "scale_reader.h"

#include <algorithm>
#include <cmath>

#include "config/units.h"

namespace msgbed::sim {

namespace {

ScaleStep ReadStep(const YamlReader& r, const YAML::Node& n, const std::string& path, const RoleRegistry& roles,
                   const Scenario& sc) {
  if (!n.IsMap()) r.Fail(n, path, "expected a map such as {at: 20s, add: messages, on: app-3}");
  r.OnlyKeys(n, path, {"at", "add", "remove", "on"});
  ScaleStep step;
  r.DurationOrZero(n, path, "at", &step.at);
  if (!n["at"].IsDefined()) r.Fail(n, YamlReader::Join(path, "at"), "missing: when (simulated time from the start)");
  if (step.at >= sc.duration + sc.drain) r.Fail(n["at"], YamlReader::Join(path, "at"), "after the run's end");
  if (n["add"].IsDefined() == n["remove"].IsDefined()) {
    r.Fail(n, path, "give one of add: <role> and remove: <role>");
  }
  step.add = n["add"].IsDefined();
  const std::string key = YamlReader::Join(path, step.add ? "add" : "remove");
  const YAML::Node role = step.add ? n["add"] : n["remove"];
  step.role = r.Scalar(role, key);
  if (!roles.Find(step.role) || !sc.services.contains(step.role)) {
    r.Fail(role, key, "no role '" + step.role + "' is deployed in this scenario");
  }
  if (!roles.Get(step.role).reshapable) {
    r.Fail(role, key,
           "'" + step.role + "' instances cannot join or leave while running (only roles whose data moves: messages)");
  }
  if (!step.add) {
    if (n["on"].IsDefined())
      r.Fail(n["on"], YamlReader::Join(path, "on"), "only with add: the highest instance leaves");
    return step;
  }
  step.host = r.Scalar(r.Required(n, path, "on", "the host the new instance runs on"), YamlReader::Join(path, "on"));
  const bool known =
      std::any_of(sc.hosts.begin(), sc.hosts.end(), [&](const HostSpec& h) { return h.name == step.host; });
  if (!known) r.Fail(n["on"], YamlReader::Join(path, "on"), "no host '" + step.host + "' in this scenario's topology");
  return step;
}

}  // namespace

void ReadScale(const YamlReader& r, const YAML::Node& list, const RoleRegistry& roles, Scenario* sc) {
  if (!list.IsDefined()) return;
  if (!list.IsSequence()) r.Fail(list, "scale", "expected a list of steps such as {at: 20s, add: messages, on: app-3}");
  std::vector<std::pair<ScaleStep, size_t>> steps;
  for (size_t i = 0; i < list.size(); ++i) {
    steps.emplace_back(ReadStep(r, list[i], "scale[" + std::to_string(i) + "]", roles, *sc), i);
  }
  std::stable_sort(steps.begin(), steps.end(), [](const auto& a, const auto& b) { return a.first.at < b.first.at; });
  std::map<std::string, uint32_t> count;  // instances in the shape, as the steps go
  for (auto& [step, entry] : steps) {
    uint32_t& n = count.try_emplace(step.role, sc->Count(step.role)).first->second;
    if (step.add) {
      step.instance = static_cast<uint32_t>(sc->services[step.role].size());
      sc->services[step.role].push_back(step.host);
      ++n;
    } else {
      if (n < 2) {
        const std::string path = "scale[" + std::to_string(entry) + "].remove";
        r.Fail(list[entry]["remove"], path, "would leave no '" + step.role + "' instance");
      }
      step.instance = --n;
    }
    sc->scale.push_back(step);
  }
}

void CheckFaultsAfterJoins(const YamlReader& r, const YAML::Node& faults, const Scenario& sc) {
  for (const ScaleStep& step : sc.scale) {
    if (!step.add) continue;
    const std::string name = step.role + "/" + std::to_string(step.instance);
    for (const FaultSpec& f : sc.faults) {
      if (f.instance != name || f.at > step.at) continue;
      const std::string path = "faults[" + std::to_string(f.entry) + "]";
      r.Fail(faults[f.entry], path, name + " joins only at " + FormatDuration(step.at) + " (scale)");
    }
  }
}

nlohmann::ordered_json ScaleJson(const ScaleStep& s) {
  nlohmann::ordered_json j = {{"at_s", std::round(s.at * 1e6) / 1e6}};
  j[s.add ? "add" : "remove"] = s.role + "/" + std::to_string(s.instance);
  if (s.add) j["on"] = s.host;
  return j;
}

}  // namespace msgbed::sim
