#include "config/fault_spec.h"

#include <algorithm>
#include <map>
#include <set>

#include "config/units.h"

namespace msgbed {

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

// The longest `for`, and the longest delay or jitter of a link.
constexpr double kMaxFaultSeconds = 100 * 86400;
constexpr double kMaxLinkDelaySeconds = 3600;

// `for`: the window's length; it must end by run_end.
void ReadWindow(const Reader& r, const YAML::Node& e, const std::string& path, double run_end, FaultSpec* f) {
  if (!e["for"].IsDefined()) r.Fail(e, path + ".for", "missing: how long the fault lasts");
  double length = 0;
  r.Duration(e, path, "for", &length);
  if (length > kMaxFaultSeconds) r.Fail(e["for"], path + ".for", "at most " + FormatDuration(kMaxFaultSeconds));
  f->until = f->at + length;
  if (f->until > run_end) r.Fail(e["for"], path + ".for", "the fault outlasts the run");
}

// One group of endpoints: a name, or a list of them; none already in
// *seen (else: "<word> 'name' <twice>").
std::vector<std::string> ReadGroup(const Reader& r, const YAML::Node& g, const std::string& path,
                                   const FaultNames& names, const std::string& twice, std::set<std::string>* seen) {
  std::vector<YAML::Node> members;
  if (g.IsSequence()) {
    for (const auto& m : g) members.push_back(m);
  } else {
    members.push_back(g);
  }
  if (members.empty()) r.Fail(g, path, "an empty group");
  std::vector<std::string> out;
  for (const auto& m : members) {
    const std::string name = names.endpoint(m, path);
    if (!seen->insert(name).second) r.Fail(m, path, names.endpoint_word + " '" + name + "' " + twice);
    out.push_back(name);
  }
  return out;
}

// link: [a, b], or between groups: [a, [b, c]].
void ReadLink(const Reader& r, const YAML::Node& e, const std::string& path, const FaultNames& names, FaultSpec* f) {
  const YAML::Node ends = e["link"];
  const std::string word = names.endpoint_word;
  if (!ends.IsSequence() || ends.size() != 2) r.Fail(ends, path + ".link", "expected [" + word + ", " + word + "]");
  std::set<std::string> seen;
  for (size_t i = 0; i < 2; ++i) {
    const std::string side = path + ".link[" + std::to_string(i) + "]";
    f->groups.push_back(ReadGroup(r, ends[i], side, names, "is on both sides of the link", &seen));
  }
  r.Number(e, path, "drop", &f->drop, 0, 1);
  r.Number(e, path, "duplicate", &f->duplicate, 0, 1);
  r.DurationOrZero(e, path, "delay", &f->delay);
  r.DurationOrZero(e, path, "jitter", &f->jitter);
  for (const char* key : {"delay", "jitter"}) {
    const double v = std::string(key) == "delay" ? f->delay : f->jitter;
    if (v > kMaxLinkDelaySeconds) r.Fail(e[key], path + "." + key, "at most " + FormatDuration(kMaxLinkDelaySeconds));
  }
  if (f->drop == 0 && f->duplicate == 0 && f->delay == 0 && f->jitter == 0)
    r.Fail(e, path, "a link fault needs drop, duplicate, delay or jitter");
}

// partition: [[a, b], [c]] (a group of one may be written bare).
void ReadPartition(const Reader& r, const YAML::Node& e, const std::string& path, const FaultNames& names,
                   FaultSpec* f) {
  const YAML::Node groups = e["partition"];
  if (!groups.IsSequence() || groups.size() < 2)
    r.Fail(groups, path + ".partition", "expected two or more groups of " + names.endpoint_word + "s");
  std::set<std::string> seen;
  for (size_t g = 0; g < groups.size(); ++g) {
    const std::string group = path + ".partition[" + std::to_string(g) + "]";
    f->groups.push_back(ReadGroup(r, groups[g], group, names, "is in two groups", &seen));
  }
}

void ReadDisk(const Reader& r, const YAML::Node& e, const std::string& path, const FaultNames& names, FaultSpec* f) {
  f->instance = names.instance(e["disk"], path + ".disk", /*brokers=*/false);
  if (e["slow"].IsDefined() == e["full"].IsDefined()) r.Fail(e, path, "expected one of slow (a factor) or full: true");
  r.Number(e, path, "slow", &f->slow, 1, 1e6);
  if (e["slow"].IsDefined() && f->slow <= 1) r.Fail(e["slow"], path + ".slow", "a factor above 1 (1 is no fault)");
  r.Bool(e, path, "full", &f->full);
  if (e["full"].IsDefined() && !f->full) r.Fail(e["full"], path + ".full", "full: false is no fault; leave it out");
}

}  // namespace

bool FaultSpec::Separates(const std::string& a, const std::string& b) const {
  auto group_of = [&](const std::string& name) {
    for (size_t g = 0; g < groups.size(); ++g) {
      if (std::find(groups[g].begin(), groups[g].end(), name) != groups[g].end()) return static_cast<int>(g);
    }
    return -1;
  };
  const int ga = group_of(a), gb = group_of(b);
  return ga >= 0 && gb >= 0 && ga != gb;
}

FaultSpec::Fate FaultSpec::FateOf(const std::function<double()>& uniform) const {
  Fate fate;
  if (kind == Kind::kPartition || (drop > 0 && uniform() < drop)) {
    fate.lost = true;
    return fate;
  }
  fate.duplicated = duplicate > 0 && uniform() < duplicate;
  fate.delay = delay + (jitter > 0 ? uniform() * jitter : 0);
  return fate;
}

void ReadFaultEntry(const YamlReader& r, const YAML::Node& e, const std::string& path, const FaultNames& names,
                    bool need_at, double run_end, std::vector<FaultSpec>* out) {
  if (!e.IsMap()) r.Fail(e, path, "expected a map such as {at: 2s, crash: messages/0}");
  std::string kind;
  for (const auto& [name, keys] : KindKeys()) {
    if (!e[name].IsDefined()) continue;
    if (!kind.empty()) r.Fail(e, path, "one fault per entry: both " + kind + " and " + name);
    kind = name;
  }
  if (kind.empty()) r.Fail(e, path, "expected one of crash, start, link, partition, disk");
  std::set<std::string> allowed = KindKeys().at(kind);
  allowed.insert(kind);
  if (need_at) allowed.insert("at");
  r.OnlyKeys(e, path, allowed);
  FaultSpec f;
  if (need_at) {
    if (!e["at"].IsDefined()) r.Fail(e, path + ".at", "missing");
    r.DurationOrZero(e, path, "at", &f.at);
    if (f.at > run_end)
      r.Fail(e["at"], path + ".at", "after the run ends (duration + drain = " + FormatDuration(run_end) + ")");
  }
  if (kind == "crash" || kind == "start") {
    f.kind = kind == "crash" ? FaultSpec::Kind::kCrash : FaultSpec::Kind::kStart;
    f.instance = names.instance(e[kind], path + "." + kind, /*brokers=*/true);
    if (!e["for"].IsDefined()) return out->push_back(f);
    ReadWindow(r, e, path, run_end, &f);  // the crash knows when it ends
    out->push_back(f);
    f.kind = FaultSpec::Kind::kStart;
    f.at = f.until;
    out->push_back(f);
    return;
  }
  ReadWindow(r, e, path, run_end, &f);
  if (kind == "link") f.kind = FaultSpec::Kind::kLink, ReadLink(r, e, path, names, &f);
  if (f.until + f.delay + f.jitter > run_end) {
    r.Fail(e["delay"].IsDefined() ? e["delay"] : e["jitter"], path,
           "envelopes it holds back would arrive after the run ends");
  }
  if (kind == "partition") f.kind = FaultSpec::Kind::kPartition, ReadPartition(r, e, path, names, &f);
  if (kind == "disk") f.kind = FaultSpec::Kind::kDisk, ReadDisk(r, e, path, names, &f);
  out->push_back(f);
}

}  // namespace msgbed
