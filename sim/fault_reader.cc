#include "fault_reader.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "scale_reader.h"

namespace msgbed::sim {

namespace {

using Reader = YamlReader;

bool IsIndexBelow(const std::string& s, size_t count) {
  return !s.empty() && s.size() < 7 && s.find_first_not_of("0123456789") == std::string::npos && std::stoul(s) < count;
}

// Names in a scenario's faults: its instances and brokers, its hosts.
FaultNames ScenarioNames(const Reader& r, const Scenario& sc) {
  FaultNames names;
  names.endpoint_word = "host";
  names.instance = [&r, &sc](const YAML::Node& n, const std::string& path, bool brokers) {
    const std::string name = r.Scalar(n, path);
    const auto slash = name.find('/');
    const std::string role = name.substr(0, slash);
    const std::string index = slash == std::string::npos ? "" : name.substr(slash + 1);
    const size_t count = role == "broker" && brokers ? sc.kafka.brokers.size() : sc.Count(role);
    if (!IsIndexBelow(index, count)) r.Fail(n, path, "no instance '" + name + "' in this scenario");
    return role + "/" + std::to_string(std::stoul(index));  // sync/01 is sync/1
  };
  names.endpoint = [&r, &sc](const YAML::Node& n, const std::string& path) {
    const std::string name = r.Scalar(n, path);
    const bool known = std::any_of(sc.hosts.begin(), sc.hosts.end(), [&](const HostSpec& h) { return h.name == name; });
    if (!known) r.Fail(n, path, "no host '" + name + "' in this scenario's topology");
    return name;
  };
  return names;
}

// Every instance runs from the start; a crash must find it running, a start
// must find it down.
void CheckTimeline(const Reader& r, const YAML::Node& list, const Scenario& sc) {
  std::set<std::string> down;
  for (const FaultSpec& fault : sc.faults) {
    const bool crash = fault.kind == FaultSpec::Kind::kCrash;
    if (!crash && fault.kind != FaultSpec::Kind::kStart) continue;
    const bool was_down = crash ? !down.insert(fault.instance).second : down.erase(fault.instance) == 0;
    if (!was_down) continue;
    std::string key = crash ? "crash" : "start";
    if (!list[fault.entry][key].IsDefined()) key = "for";  // the start a crash's `for` implies
    r.Fail(list[fault.entry][key], "faults[" + std::to_string(fault.entry) + "]." + key,
           fault.instance + (crash ? " is already down then" : " is running then"));
  }
}

}  // namespace

void ReadFaults(const YamlReader& r, const YAML::Node& list, Scenario* sc) {
  if (!list.IsDefined()) return;
  if (!list.IsSequence()) r.Fail(list, "faults", "expected a list of faults such as {at: 2s, crash: messages/0}");
  const FaultNames names = ScenarioNames(r, *sc);
  for (size_t i = 0; i < list.size(); ++i) {
    const size_t first = sc->faults.size();
    ReadFaultEntry(r, list[i], "faults[" + std::to_string(i) + "]", names, /*need_at=*/true, sc->duration + sc->drain,
                   &sc->faults);
    for (size_t f = first; f < sc->faults.size(); ++f) sc->faults[f].entry = i;
  }
  std::stable_sort(sc->faults.begin(), sc->faults.end(),
                   [](const FaultSpec& a, const FaultSpec& b) { return a.at < b.at; });
  CheckFaultsAfterJoins(r, list, *sc);
  CheckTimeline(r, list, *sc);
}

nlohmann::ordered_json FaultJson(const FaultSpec& f) {
  auto round = [](double s) { return std::round(s * 1e6) / 1e6; };
  nlohmann::ordered_json j = {{"at_s", round(f.at)}};
  switch (f.kind) {
    case FaultSpec::Kind::kCrash: j["crash"] = f.instance; return j;
    case FaultSpec::Kind::kStart: j["start"] = f.instance; return j;
    case FaultSpec::Kind::kLink:
      j["until_s"] = round(f.until);
      j["link"] = f.groups;
      j["drop"] = f.drop;
      j["duplicate"] = f.duplicate;
      j["delay_s"] = round(f.delay);
      j["jitter_s"] = round(f.jitter);
      return j;
    case FaultSpec::Kind::kPartition:
      j["until_s"] = round(f.until);
      j["partition"] = f.groups;
      return j;
    case FaultSpec::Kind::kDisk:
      j["until_s"] = round(f.until);
      j["disk"] = f.instance;
      if (f.full)
        j["full"] = true;
      else
        j["slow"] = f.slow;
      return j;
  }
  return j;
}

}  // namespace msgbed::sim
