#include "live/config.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <set>
#include <sstream>

#include "roles/make_service.h"

namespace msgbed::live {
namespace {

[[noreturn]] void Fail(const std::string& file, const YAML::Node& at, const std::string& key, const std::string& what) {
  std::ostringstream os;
  os << file;
  if (at.IsDefined() && at.Mark().line >= 0) os << ":" << at.Mark().line + 1;
  os << ": key '" << key << "': " << what;
  throw ConfigError(os.str());
}

void OnlyKeys(const std::string& file, const YAML::Node& n, const std::string& path, const std::set<std::string>& ok) {
  if (!n.IsMap()) Fail(file, n, path, "expected a mapping");
  for (const auto& kv : n) {
    const std::string k = kv.first.as<std::string>();
    if (!ok.count(k)) Fail(file, kv.first, path.empty() ? k : path + "." + k, "unknown key");
  }
}

Endpoint ReadEndpoint(const std::string& file, const YAML::Node& n, const std::string& key) {
  Endpoint e;
  if (!n.IsScalar() || !ParseEndpoint(n.as<std::string>(), &e)) Fail(file, n, key, "expected host:port");
  return e;
}

void ReadInstance(const std::string& file, const std::string& name, const YAML::Node& n, LiveConfig* cfg) {
  const std::string key = "instances." + name;
  const auto slash = name.find('/');
  InstanceConfig inst;
  inst.role = name.substr(0, slash);
  if (slash == std::string::npos || !IsRole(inst.role)) {
    Fail(file, n, key, "expected role/index with role gateway, messages or sync");
  }
  try {
    size_t used = 0;
    inst.index = static_cast<uint32_t>(std::stoul(name.substr(slash + 1), &used));
    if (used != name.size() - slash - 1) throw std::invalid_argument(name);
  } catch (const std::exception&) {
    Fail(file, n, key, "expected role/index with a numeric index");
  }
  const bool gateway = inst.role == role::kGateway;
  OnlyKeys(file, n, key, gateway ? std::set<std::string>{"rpc", "client"} : std::set<std::string>{"rpc"});
  if (!n["rpc"].IsDefined()) Fail(file, n, key + ".rpc", "missing: host:port for service calls");
  inst.rpc = ReadEndpoint(file, n["rpc"], key + ".rpc");
  if (gateway) {
    if (!n["client"].IsDefined()) Fail(file, n, key + ".client", "missing: host:port where devices connect");
    inst.client = ReadEndpoint(file, n["client"], key + ".client");
  }
  cfg->instances.push_back(inst);
}

void CheckDense(const std::string& file, const YAML::Node& at, const LiveConfig& cfg) {
  for (const char* role : kAllRoles) {
    std::set<uint32_t> idx;
    for (const auto& i : cfg.instances) {
      if (i.role == role) idx.insert(i.index);
    }
    if (idx.empty()) Fail(file, at, "instances", std::string("no ") + role + " instance");
    if (*idx.rbegin() != idx.size() - 1) {
      Fail(file, at, "instances", std::string(role) + " indexes must be 0.." + std::to_string(idx.size() - 1));
    }
  }
}

void ReadBus(const std::string& file, const YAML::Node& n, BusConfig* bus) {
  if (!n.IsDefined()) return;
  OnlyKeys(file, n, "bus", {"mode", "bootstrap", "mock_brokers"});
  if (n["mode"].IsDefined()) {
    const std::string mode = n["mode"].as<std::string>();
    if (mode == "mock") {
      bus->mode = BusConfig::Mode::kMock;
    } else if (mode == "kafka") {
      bus->mode = BusConfig::Mode::kKafka;
    } else {
      Fail(file, n["mode"], "bus.mode", "expected mock or kafka, got '" + mode + "'");
    }
  }
  if (n["bootstrap"].IsDefined()) bus->bootstrap = n["bootstrap"].as<std::string>();
  if (bus->mode == BusConfig::Mode::kKafka && bus->bootstrap.empty()) {
    Fail(file, n, "bus.bootstrap", "kafka mode needs the brokers' host:port list");
  }
  if (n["mock_brokers"].IsDefined()) {
    const int b = n["mock_brokers"].as<int>(0);
    if (b < 1) Fail(file, n["mock_brokers"], "bus.mock_brokers", "expected a positive integer");
    bus->mock_brokers = static_cast<uint32_t>(b);
  }
}

}  // namespace

bool ParseEndpoint(const std::string& text, Endpoint* out) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  try {
    size_t used = 0;
    const unsigned long port = std::stoul(text.substr(colon + 1), &used);
    if (used != text.size() - colon - 1 || port > 65535) return false;
    out->host = text.substr(0, colon);
    out->port = static_cast<uint16_t>(port);
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

ClusterShape LiveConfig::Shape() const {
  ClusterShape s{0, 0, 0, partitions};
  for (const auto& i : instances) {
    if (i.role == role::kGateway) ++s.gateways;
    if (i.role == role::kMessages) ++s.messages;
    if (i.role == role::kSync) ++s.sync;
  }
  return s;
}

std::vector<InstanceConfig> LiveConfig::Select(const std::string& selector) const {
  std::vector<InstanceConfig> out;
  for (const auto& i : instances) {
    if (selector.empty() || selector == i.role || selector == i.Name()) out.push_back(i);
  }
  return out;
}

LiveConfig ParseConfig(const std::string& text, const std::string& file) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw ConfigError(file + ":" + std::to_string(e.mark.line + 1) + ": invalid YAML: " + e.msg);
  }
  LiveConfig cfg;
  cfg.file = file;
  OnlyKeys(file, root, "", {"partitions", "bus", "storage", "instances"});
  if (root["partitions"].IsDefined()) {
    const int p = root["partitions"].as<int>(0);
    if (p < 1) Fail(file, root["partitions"], "partitions", "expected a positive integer");
    cfg.partitions = static_cast<uint32_t>(p);
  }
  ReadBus(file, root["bus"], &cfg.bus);
  if (const YAML::Node s = root["storage"]; s.IsDefined()) {
    OnlyKeys(file, s, "storage", {"data_dir", "sync"});
    if (s["data_dir"].IsDefined()) cfg.data_dir = s["data_dir"].as<std::string>();
    if (s["sync"].IsDefined()) {
      try {
        cfg.sync_writes = s["sync"].as<bool>();
      } catch (const YAML::Exception&) {
        Fail(file, s["sync"], "storage.sync", "expected true or false");
      }
    }
  }
  const YAML::Node inst = root["instances"];
  if (!inst.IsMap()) Fail(file, inst.IsDefined() ? inst : root, "instances", "expected a mapping of role/index");
  for (const auto& kv : inst) ReadInstance(file, kv.first.as<std::string>(), kv.second, &cfg);
  CheckDense(file, inst, cfg);
  return cfg;
}

LiveConfig LoadConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError(path + ": cannot open the config file");
  std::stringstream ss;
  ss << in.rdbuf();
  return ParseConfig(ss.str(), path);
}

}  // namespace msgbed::live
