#include "fault_reader.h"

#include <algorithm>
#include <cmath>
#include <set>

#include "config/units.h"

namespace msgbed::sim {

namespace {

using Reader = YamlReader;

// The keys each kind of entry takes, besides `at`.
const std::map<std::string, std::set<std::string>>& KindKeys() {
  static const std::map<std::string, std::set<std::string>> keys = {
      {"crash", {"for"}},
      {"start", {}},
      {"link", {"for", "drop", "duplicate", "delay", "jitter"}},
      {"partition", {"for"}},
      {"disk", {"for", "slow", "full"}},
  };
  return keys;
}

bool IsIndexBelow(const std::string& s, size_t count) {
  return !s.empty() && s.size() < 7 && s.find_first_not_of("0123456789") == std::string::npos && std::stoul(s) < count;
}

// "role/index" of a deployed instance (or "broker/index" when brokers
// count), in canonical form: sync/01 is sync/1.
std::string ReadInstance(const Reader& r, const YAML::Node& n, const std::string& path, const Scenario& sc,
                         bool brokers) {
  const std::string name = r.Scalar(n, path);
  const auto slash = name.find('/');
  const std::string role = name.substr(0, slash);
  const std::string index = slash == std::string::npos ? "" : name.substr(slash + 1);
  const size_t count = role == "broker" && brokers ? sc.kafka.brokers.size() : sc.Count(role);
  if (!IsIndexBelow(index, count)) r.Fail(n, path, "no instance '" + name + "' in this scenario");
  return role + "/" + std::to_string(std::stoul(index));
}

std::string ReadHost(const Reader& r, const YAML::Node& n, const std::string& path, const Scenario& sc) {
  const std::string name = r.Scalar(n, path);
  const bool known = std::any_of(sc.hosts.begin(), sc.hosts.end(), [&](const HostSpec& h) { return h.name == name; });
  if (!known) r.Fail(n, path, "no host '" + name + "' in this scenario's topology");
  return name;
}

// `for`: the window's length; it must end within the run.
void ReadWindow(const Reader& r, const YAML::Node& e, const std::string& path, const Scenario& sc, FaultSpec* f) {
  if (!e["for"].IsDefined()) r.Fail(e, path + ".for", "missing: how long the fault lasts");
  double length = 0;
  r.Duration(e, path, "for", &length);
  f->until = f->at + length;
  if (f->until > sc.duration + sc.drain) r.Fail(e["for"], path + ".for", "the fault outlasts the run");
}

void ReadLinkFault(const Reader& r, const YAML::Node& e, const std::string& path, const Scenario& sc, FaultSpec* f) {
  const YAML::Node ends = e["link"];
  if (!ends.IsSequence() || ends.size() != 2) r.Fail(ends, path + ".link", "expected [host, host]");
  const std::string a = ReadHost(r, ends[0], path + ".link[0]", sc);
  const std::string b = ReadHost(r, ends[1], path + ".link[1]", sc);
  if (a == b) r.Fail(ends, path + ".link", "a link joins two different hosts");
  f->groups = {{a}, {b}};
  r.Number(e, path, "drop", &f->drop, 0, 1);
  r.Number(e, path, "duplicate", &f->duplicate, 0, 1);
  r.DurationOrZero(e, path, "delay", &f->delay);
  r.DurationOrZero(e, path, "jitter", &f->jitter);
  if (f->drop == 0 && f->duplicate == 0 && f->delay == 0 && f->jitter == 0)
    r.Fail(e, path, "a link fault needs drop, duplicate, delay or jitter");
}

// partition: [[a, b], [c]] (a group of one host may be written bare).
void ReadPartition(const Reader& r, const YAML::Node& e, const std::string& path, const Scenario& sc, FaultSpec* f) {
  const YAML::Node groups = e["partition"];
  if (!groups.IsSequence() || groups.size() < 2)
    r.Fail(groups, path + ".partition", "expected two or more groups of hosts");
  std::set<std::string> seen;
  for (size_t g = 0; g < groups.size(); ++g) {
    const std::string gpath = path + ".partition[" + std::to_string(g) + "]";
    std::vector<YAML::Node> members;
    if (groups[g].IsSequence()) {
      for (const auto& m : groups[g]) members.push_back(m);
    } else {
      members.push_back(groups[g]);
    }
    if (members.empty()) r.Fail(groups[g], gpath, "an empty group");
    f->groups.emplace_back();
    for (const auto& m : members) {
      const std::string host = ReadHost(r, m, gpath, sc);
      if (!seen.insert(host).second) r.Fail(m, gpath, "host '" + host + "' is in two groups");
      f->groups.back().push_back(host);
    }
  }
}

void ReadDisk(const Reader& r, const YAML::Node& e, const std::string& path, const Scenario& sc, FaultSpec* f) {
  f->instance = ReadInstance(r, e["disk"], path + ".disk", sc, /*brokers=*/false);
  if (e["slow"].IsDefined() == e["full"].IsDefined()) r.Fail(e, path, "expected one of slow (a factor) or full: true");
  r.Number(e, path, "slow", &f->slow, 1, 1e6);
  r.Bool(e, path, "full", &f->full);
  if (e["full"].IsDefined() && !f->full) r.Fail(e["full"], path + ".full", "full: false is no fault; leave it out");
}

// One entry; a crash with `for` adds its start to *out as well.
void ReadEntry(const Reader& r, const YAML::Node& e, size_t i, const Scenario& sc, std::vector<FaultSpec>* out) {
  const std::string path = "faults[" + std::to_string(i) + "]";
  if (!e.IsMap()) r.Fail(e, path, "expected a map such as {at: 2s, crash: messages/0}");
  std::string kind;
  for (const auto& [name, keys] : KindKeys()) {
    if (!e[name].IsDefined()) continue;
    if (!kind.empty()) r.Fail(e, path, "one fault per entry: both " + kind + " and " + name);
    kind = name;
  }
  if (kind.empty()) r.Fail(e, path, "expected one of crash, start, link, partition, disk");
  std::set<std::string> allowed = KindKeys().at(kind);
  allowed.insert({"at", kind});
  r.OnlyKeys(e, path, allowed);
  FaultSpec f;
  f.entry = i;
  if (!e["at"].IsDefined()) r.Fail(e, path + ".at", "missing");
  r.DurationOrZero(e, path, "at", &f.at);
  if (f.at > sc.duration + sc.drain) {
    r.Fail(e["at"], path + ".at",
           "after the run ends (duration + drain = " + FormatDuration(sc.duration + sc.drain) + ")");
  }
  if (kind == "crash" || kind == "start") {
    f.kind = kind == "crash" ? FaultSpec::Kind::kCrash : FaultSpec::Kind::kStart;
    f.instance = ReadInstance(r, e[kind], path + "." + kind, sc, /*brokers=*/true);
    out->push_back(f);
    if (!e["for"].IsDefined()) return;
    ReadWindow(r, e, path, sc, &f);
    f.kind = FaultSpec::Kind::kStart;
    f.at = f.until;
    out->push_back(f);
    return;
  }
  ReadWindow(r, e, path, sc, &f);
  if (kind == "link") f.kind = FaultSpec::Kind::kLink, ReadLinkFault(r, e, path, sc, &f);
  if (kind == "partition") f.kind = FaultSpec::Kind::kPartition, ReadPartition(r, e, path, sc, &f);
  if (kind == "disk") f.kind = FaultSpec::Kind::kDisk, ReadDisk(r, e, path, sc, &f);
  out->push_back(f);
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

bool FaultSpec::Separates(const std::string& a, const std::string& b) const {
  auto group_of = [&](const std::string& host) {
    for (size_t g = 0; g < groups.size(); ++g) {
      if (std::find(groups[g].begin(), groups[g].end(), host) != groups[g].end()) return static_cast<int>(g);
    }
    return -1;
  };
  const int ga = group_of(a), gb = group_of(b);
  return ga >= 0 && gb >= 0 && ga != gb;
}

void ReadFaults(const YamlReader& r, const YAML::Node& list, Scenario* sc) {
  if (!list.IsDefined()) return;
  if (!list.IsSequence()) r.Fail(list, "faults", "expected a list of faults such as {at: 2s, crash: messages/0}");
  for (size_t i = 0; i < list.size(); ++i) ReadEntry(r, list[i], i, *sc, &sc->faults);
  std::stable_sort(sc->faults.begin(), sc->faults.end(),
                   [](const FaultSpec& a, const FaultSpec& b) { return a.at < b.at; });
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
      j["link"] = {f.groups[0][0], f.groups[1][0]};
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
