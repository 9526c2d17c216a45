#include "config/yaml_reader.h"

#include <cmath>
#include <fstream>
#include <map>
#include <sstream>

#include "config/units.h"

namespace msgbed {

namespace {

std::string Fmt(double v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

YamlReader::Parser InRange(std::optional<double> (*parse)(const std::string&), double lo, double hi, bool lo_open) {
  return [=](const std::string& s) -> std::optional<double> {
    auto v = parse(s);
    if (!v || *v > hi || *v < lo || (lo_open && *v == lo)) return std::nullopt;
    return v;
  };
}

// The key of parent's entry `key`: where to point at an entry with no
// value (yaml-cpp marks an empty value at the token after it, the next line).
YAML::Node KeyOf(const YAML::Node& parent, const std::string& key) {
  if (parent.IsMap()) {
    for (const auto& kv : parent) {
      if (kv.first.IsScalar() && kv.first.Scalar() == key) return kv.first;
    }
  }
  return parent;
}

}  // namespace

std::string ReadTextFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError(path + ": cannot open the file");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

YAML::Node YamlReader::Load(const std::string& text) const {
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw InputError(file_ + ":" + std::to_string(e.mark.line + 1) + ": invalid YAML: " + e.msg);
  }
}

void YamlReader::Fail(const YAML::Node& at, const std::string& key, const std::string& what) const {
  std::ostringstream os;
  os << file_;
  if (at.IsDefined() && at.Mark().line >= 0) os << ":" << at.Mark().line + 1;
  os << ": key '" << key << "': " << what;
  throw InputError(os.str());
}

void YamlReader::OnlyKeys(const YAML::Node& node, const std::string& path, const std::set<std::string>& allowed) const {
  if (!node.IsMap()) Fail(node, path, "expected a mapping");
  std::map<std::string, int> seen;  // key -> line
  for (const auto& kv : node) {
    const std::string k = kv.first.as<std::string>();
    // yaml-cpp keeps both and node[k] answers the first: the second would be ignored.
    if (auto [it, first] = seen.emplace(k, kv.first.Mark().line + 1); !first) {
      Fail(kv.first, Join(path, k), "given twice (first on line " + std::to_string(it->second) + ")");
    }
    if (allowed.count(k)) continue;
    std::string list;
    for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
    Fail(kv.first, Join(path, k), "unknown key (expected one of: " + list + ")");
  }
}

YAML::Node YamlReader::Required(const YAML::Node& parent, const std::string& path, const std::string& key,
                                const std::string& what) const {
  const YAML::Node n = parent[key];
  if (!n.IsDefined() || n.IsNull()) Fail(parent, Join(path, key), "missing: " + what);
  return n;
}

std::string YamlReader::Join(const std::string& path, const std::string& key) {
  return path.empty() ? key : path + "." + key;
}

std::string YamlReader::Scalar(const YAML::Node& n, const std::string& key) const {
  if (!n.IsScalar()) Fail(n, key, "expected a single value");
  return n.as<std::string>();
}

std::vector<std::string> YamlReader::Names(const YAML::Node& n, const std::string& key) const {
  if (!n.IsSequence() || n.size() == 0) Fail(n, key, "expected a non-empty list of names");
  std::vector<std::string> out;
  for (const auto& e : n) out.push_back(Scalar(e, key));
  return out;
}

bool YamlReader::ReadValue(const YAML::Node& parent, const std::string& path, const std::string& key, double* out,
                           const Parser& parse, const std::string& expected) const {
  const YAML::Node n = parent[key];
  if (!n.IsDefined()) return false;
  const std::string full = Join(path, key);
  // `key:` with nothing after it is a mistake, not a request for the default.
  if (n.IsNull())
    Fail(KeyOf(parent, key), full, "empty value: give " + expected + ", or leave the key out for its default");
  auto v = parse(Scalar(n, full));
  if (!v) Fail(n, full, "expected " + expected + ", got '" + n.as<std::string>() + "'");
  *out = *v;
  return true;
}

YamlReader::Parser YamlReader::CountParser(double max) {
  return [max](const std::string& s) -> std::optional<double> {
    auto v = ParseNumber(s);
    if (!v || *v < 1 || *v > max || *v != static_cast<double>(static_cast<uint64_t>(*v))) return std::nullopt;
    return v;
  };
}

void YamlReader::Duration(const YAML::Node& p, const std::string& path, const std::string& key, double* out) const {
  ReadValue(p, path, key, out, InRange(ParseDuration, 0, 1e18, true), "a positive duration like 30s or 5ms");
}
void YamlReader::DurationOrZero(const YAML::Node& p, const std::string& path, const std::string& key,
                                double* out) const {
  ReadValue(p, path, key, out, InRange(ParseDuration, 0, 1e18, false), "a duration like 5ms (0 allowed)");
}
void YamlReader::Bandwidth(const YAML::Node& p, const std::string& path, const std::string& key, double* out) const {
  ReadValue(p, path, key, out, InRange(ParseBandwidth, 0, 1e18, true), "a bandwidth like 10Gbps or 125MBps");
}
void YamlReader::Speed(const YAML::Node& p, const std::string& path, const std::string& key, double* out) const {
  ReadValue(p, path, key, out, InRange(ParseSpeed, 0, 1e18, true), "a speed like 2Gf");
}
void YamlReader::Bytes(const YAML::Node& p, const std::string& path, const std::string& key, size_t* out,
                       double max) const {
  auto whole = [max](const std::string& s) -> std::optional<double> {
    auto v = ParseBytes(s);
    if (!v || *v < 1 || *v > max || *v != std::floor(*v)) return std::nullopt;
    return v;
  };
  double v = 0;
  if (ReadValue(p, path, key, &v, whole,
                "a size like 64KiB or 4MiB, at most " + std::to_string(static_cast<uint64_t>(max)) + " bytes")) {
    *out = static_cast<size_t>(v);
  }
}

void YamlReader::Number(const YAML::Node& p, const std::string& path, const std::string& key, double* out, double lo,
                        double hi) const {
  ReadValue(p, path, key, out, InRange(ParseNumber, lo, hi, false), "a number in [" + Fmt(lo) + ", " + Fmt(hi) + "]");
}

void YamlReader::Bool(const YAML::Node& p, const std::string& path, const std::string& key, bool* out) const {
  const YAML::Node n = p[key];
  if (!n.IsDefined() || n.IsNull()) return;
  const std::string s = Scalar(n, Join(path, key));
  if (s == "true") {
    *out = true;
  } else if (s == "false") {
    *out = false;
  } else {
    Fail(n, Join(path, key), "expected true or false, got '" + s + "'");
  }
}

void YamlReader::String(const YAML::Node& p, const std::string& path, const std::string& key, std::string* out) const {
  const YAML::Node n = p[key];
  if (n.IsDefined() && !n.IsNull()) *out = Scalar(n, Join(path, key));
}

}  // namespace msgbed
