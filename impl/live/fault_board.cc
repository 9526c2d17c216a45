#include "live/fault_board.h"

#include <spdlog/spdlog.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

namespace msgbed::live {

namespace fs = std::filesystem;

namespace {

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

fs::path FaultDir(const LiveConfig& cfg) { return fs::path(cfg.data_dir) / "faults"; }

// A posted fault: when, and its text.
struct Posted {
  std::string id;
  int64_t posted_ms = 0;
  std::string text;
};

bool ReadPosted(const fs::path& file, Posted* out) {
  try {
    const YAML::Node root = YAML::LoadFile(file.string());
    out->id = file.stem().string();
    out->posted_ms = root["posted_unix_ms"].as<int64_t>();
    YAML::Emitter e;
    e << YAML::Flow << root["fault"];
    out->text = e.c_str();
    return true;
  } catch (const YAML::Exception&) {
    return false;  // half written by hand, or not ours: ignored
  }
}

std::vector<Posted> ReadAll(const LiveConfig& cfg) {
  std::vector<Posted> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(FaultDir(cfg), ec)) {
    Posted p;
    if (entry.path().extension() == ".yaml" && ReadPosted(entry.path(), &p)) out.push_back(std::move(p));
  }
  std::sort(out.begin(), out.end(), [](const Posted& a, const Posted& b) { return a.id < b.id; });
  return out;
}

// Names in a live fault: the config's instances, brokers of a mock bus.
FaultNames LiveNames(const YamlReader& r, const LiveConfig& cfg) {
  FaultNames names;
  names.endpoint_word = "instance";
  names.instance = [&r, &cfg](const YAML::Node& n, const std::string& path, bool brokers) {
    const std::string name = r.Scalar(n, path);
    for (const auto& ic : cfg.instances) {
      if (ic.Name() == name) return name;
    }
    const bool mock = cfg.bus.mode == BusConfig::Mode::kMock;
    for (uint32_t b = 0; brokers && mock && b < cfg.bus.mock_brokers; ++b) {
      if (name == "broker/" + std::to_string(b)) return name;
    }
    r.Fail(n, path,
           "no instance '" + name + "' in " + cfg.file + (brokers && !mock ? " (brokers: only of a mock bus)" : ""));
  };
  names.endpoint = [names](const YAML::Node& n, const std::string& path) { return names.instance(n, path, false); };
  return names;
}

// The end of a posted fault's window, in wall-clock ms.
int64_t UntilMs(const Posted& p, const FaultSpec& f) { return p.posted_ms + std::llround(f.until * 1000); }

// Removes fault id's file and its acknowledgements.
void RemoveFault(const LiveConfig& cfg, const std::string& id) {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(FaultDir(cfg), ec)) {
    if (entry.path().filename().string().rfind(id + ".", 0) == 0) fs::remove(entry.path(), ec);
  }
}

}  // namespace

Status ParseLiveFault(const LiveConfig& cfg, const std::string& text, const std::string& source,
                      std::vector<FaultSpec>* out) {
  try {
    return GuardYaml(source, [&] {
      const YamlReader r(source);
      const std::vector<YAML::Node> docs = YAML::LoadAll(text);
      if (docs.size() != 1)
        throw InputError(source + ": expected one fault, a map such as {for: 30s, crash: gateway/0}; got " +
                         std::to_string(docs.size()) + " documents");
      const YAML::Node e = r.Load(text);
      ReadFaultEntry(r, e, "fault", LiveNames(r, cfg), /*need_at=*/false, std::numeric_limits<double>::infinity(), out);
      if (out->front().kind == FaultSpec::Kind::kStart)
        r.Fail(e, "fault.start", "a live crash starts again after its `for`");
      if (out->front().kind == FaultSpec::Kind::kCrash && out->size() == 1)
        r.Fail(e, "fault.for", "missing: how long the instance stays down");
      out->resize(1);  // a crash's start is its window's end
      return Status::Ok();
    });
  } catch (const InputError& e) {
    return Status::Invalid(e.what());
  }
}

Status PostFault(const LiveConfig& cfg, const std::string& text, std::string* id) {
  std::vector<FaultSpec> faults;
  if (Status s = ParseLiveFault(cfg, text, "fault", &faults); !s.ok()) return s;
  std::error_code ec;
  fs::create_directories(FaultDir(cfg), ec);
  if (ec) return Status::IoError("cannot create " + FaultDir(cfg).string() + ": " + ec.message());
  const int64_t now = NowMs();
  for (const Posted& p : ReadAll(cfg)) {
    std::vector<FaultSpec> old;
    if (!ParseLiveFault(cfg, p.text, p.id, &old).ok() || UntilMs(p, old.front()) <= now) RemoveFault(cfg, p.id);
  }
  std::ostringstream name;
  name << now << "-" << std::hex << std::random_device{}();
  *id = name.str();
  YAML::Node root;
  root["posted_unix_ms"] = now;
  root["fault"] = YAML::Load(text);
  YAML::Emitter e;
  e << root;
  const fs::path file = FaultDir(cfg) / (*id + ".yaml");
  const fs::path tmp = FaultDir(cfg) / (*id + ".tmp");
  {
    std::ofstream f(tmp, std::ios::trunc);
    f << "# posted by msgbed fault; remove to end it\n" << e.c_str() << "\n";
    if (!f.flush()) return Status::IoError("cannot write " + tmp.string());
  }
  fs::rename(tmp, file, ec);  // processes never read half a fault
  return ec ? Status::IoError("cannot write " + file.string() + ": " + ec.message()) : Status::Ok();
}

size_t ProcessesThatSaw(const LiveConfig& cfg, const std::string& id) {
  size_t n = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(FaultDir(cfg), ec)) {
    const std::string name = entry.path().filename().string();
    n += name.rfind(id + ".", 0) == 0 && entry.path().extension() == ".seen";
  }
  return n;
}

Status ClearFaults(const LiveConfig& cfg, size_t* removed) {
  *removed = 0;
  for (const Posted& p : ReadAll(cfg)) {
    std::error_code ec;
    if (fs::remove(FaultDir(cfg) / (p.id + ".yaml"), ec)) ++*removed;
    if (ec) return Status::IoError("cannot remove fault " + p.id + ": " + ec.message());
    RemoveFault(cfg, p.id);
  }
  return Status::Ok();
}

std::vector<std::string> ListFaults(const LiveConfig& cfg) {
  std::vector<std::string> out;
  const int64_t now = NowMs();
  for (const Posted& p : ReadAll(cfg)) {
    std::vector<FaultSpec> f;
    if (!ParseLiveFault(cfg, p.text, p.id, &f).ok() || UntilMs(p, f.front()) <= now) continue;
    out.push_back(p.id + "  " + p.text + "  (" + std::to_string((UntilMs(p, f.front()) - now + 999) / 1000) +
                  " s left)");
  }
  return out;
}

FaultBoard::FaultBoard(asio::io_context& io, const LiveConfig& cfg, Actions actions)
    : io_(io), cfg_(cfg), actions_(std::move(actions)), timer_(io), rng_(std::random_device{}()) {}

void FaultBoard::Watch() {
  Poll();
  timer_.expires_after(kPoll);
  timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) Watch();
  });
}

bool FaultBoard::Concerns(const FaultSpec& f) const {
  switch (f.kind) {
    case FaultSpec::Kind::kLink:
    case FaultSpec::Kind::kPartition: return true;  // what this process sends may cross it
    case FaultSpec::Kind::kDisk: return actions_.serves(ParseAddress(f.instance));
    default:
      if (f.instance.rfind("broker/", 0) == 0) return actions_.broker_down != nullptr;
      return actions_.serves(ParseAddress(f.instance));
  }
}

void FaultBoard::Poll() {
  const int64_t now = NowMs();
  std::map<std::string, bool> present;
  for (const Posted& p : ReadAll(cfg_)) {
    present[p.id] = true;
    if (seen_.contains(p.id)) continue;
    seen_[p.id] = true;
    Acknowledge(p.id);
    std::vector<FaultSpec> faults;
    if (Status s = ParseLiveFault(cfg_, p.text, "fault " + p.id, &faults); !s.ok()) {
      spdlog::warn("fault {} ignored: {}", p.id, s.message());
      continue;
    }
    const int64_t until = UntilMs(p, faults.front());
    if (until > now && Concerns(faults.front())) Begin(p.id, faults.front(), until);
  }
  std::vector<Active> ended;
  for (auto it = active_.begin(); it != active_.end();) {
    const bool over = !present.contains(it->first) || it->second.front().until_ms <= now;
    if (!over) {
      ++it;
      continue;
    }
    spdlog::info("fault {} ended", it->first);
    ended.insert(ended.end(), it->second.begin(), it->second.end());
    it = active_.erase(it);
  }
  for (const Active& a : ended) End(a);  // after the erase: End sees which faults remain
  ended_ += ended.size();
}

// Tells `msgbed fault` this process saw the fault: <id>.<pid>.seen.
void FaultBoard::Acknowledge(const std::string& id) const {
  std::ofstream((FaultDir(cfg_) / (id + "." + std::to_string(::getpid()) + ".seen")).string());
}

bool FaultBoard::StillCrashed(const std::string& instance) const {
  for (const auto& [id, list] : active_) {
    for (const Active& a : list) {
      if (a.spec.kind == FaultSpec::Kind::kCrash && a.spec.instance == instance) return true;
    }
  }
  return false;
}

void FaultBoard::Begin(const std::string& id, const FaultSpec& f, int64_t until_ms) {
  active_[id].push_back(Active{f, until_ms});
  ++applied_;
  spdlog::warn("fault {} begins here, for {} ms", id, until_ms - NowMs());
  if (f.kind != FaultSpec::Kind::kCrash) return;
  if (f.instance.rfind("broker/", 0) == 0) return actions_.broker_down(ParseAddress(f.instance).index());
  actions_.crash(ParseAddress(f.instance));
}

void FaultBoard::End(const Active& a) {
  // Overlapping crashes of one instance: it starts when the last one ends.
  if (a.spec.kind != FaultSpec::Kind::kCrash || StillCrashed(a.spec.instance)) return;
  if (a.spec.instance.rfind("broker/", 0) == 0) return actions_.broker_up(ParseAddress(a.spec.instance).index());
  actions_.start(ParseAddress(a.spec.instance));
}

FaultBoard::Effect FaultBoard::OnEnvelope(const Address& from, const Address& to) {
  Effect fx;
  if (active_.empty()) return fx;
  const int64_t now = NowMs();
  const std::string a = ToString(from), b = ToString(to);
  std::uniform_real_distribution<double> uniform(0, 1);
  for (const auto& [id, list] : active_) {
    for (const Active& act : list) {
      const FaultSpec& f = act.spec;
      const bool net = f.kind == FaultSpec::Kind::kLink || f.kind == FaultSpec::Kind::kPartition;
      if (!net || act.until_ms <= now || !f.Separates(a, b)) continue;
      const FaultSpec::Fate fate = f.FateOf([&] { return uniform(rng_); });
      if (fate.lost) return Effect{0, {}};
      fx.copies += fate.duplicated ? 1 : 0;
      fx.delay += std::chrono::microseconds(std::llround(fate.delay * 1e6));
    }
  }
  return fx;
}

bool FaultBoard::DiskWrite(const Address& instance, double* slowdown, int64_t* slow_until_ms) const {
  *slowdown = 1;
  *slow_until_ms = 0;
  if (active_.empty()) return true;
  const int64_t now = NowMs();
  const std::string name = ToString(instance);
  for (const auto& [id, list] : active_) {
    for (const Active& act : list) {
      const FaultSpec& f = act.spec;
      if (f.kind != FaultSpec::Kind::kDisk || f.instance != name || act.until_ms <= now) continue;
      if (f.full) return false;
      *slowdown = std::max(*slowdown, f.slow);
      *slow_until_ms = *slow_until_ms == 0 ? act.until_ms : std::min(*slow_until_ms, act.until_ms);
    }
  }
  return true;
}

}  // namespace msgbed::live
