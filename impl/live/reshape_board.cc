#include "live/reshape_board.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "config/yaml_reader.h"
#include "roles/registry.h"

namespace msgbed::live {

namespace fs = std::filesystem;

namespace {

fs::path PostedFile(const LiveConfig& cfg) { return fs::path(cfg.data_dir) / "reshape.yaml"; }
// The last list a process applied (a refused post leaves it as it was).
fs::path AppliedFile(const LiveConfig& cfg) { return fs::path(cfg.data_dir) / "reshape.applied.yaml"; }
fs::path AckDir(const LiveConfig& cfg) { return fs::path(cfg.data_dir) / "reshape.acks"; }

std::string ReadAll(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  return in ? text.str() : "";
}

// Written aside, then renamed: a process polling never reads half of it.
Status WriteAtomically(const fs::path& file, const std::string& text) {
  std::error_code ec;
  fs::create_directories(file.parent_path(), ec);
  const fs::path tmp = file.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << text;
    if (!out.flush()) return Status::IoError("cannot write " + tmp.string());
  }
  fs::rename(tmp, file, ec);
  return ec ? Status::IoError("cannot write " + file.string() + ": " + ec.message()) : Status::Ok();
}

bool SameEndpoints(const InstanceConfig& a, const InstanceConfig& b) {
  return a.rpc.ToString() == b.rpc.ToString() && a.client.ToString() == b.client.ToString();
}

}  // namespace

std::string ReshapeRefusal(const LiveConfig& now, const LiveConfig& next) {
  if (fs::absolute(now.data_dir) != fs::absolute(next.data_dir)) return "storage.data_dir differs";
  if (now.partitions != next.partitions) return "partitions differ (the bus keys would move)";
  // Nothing else takes effect without a restart: a reshape that changed it
  // would say "applied" for what was not.
  const std::string restart = " differs (only the instance list changes while running; restart for the rest)";
  if (!(now.bus == next.bus)) return "bus" + restart;
  if (now.sync_writes != next.sync_writes) return "storage.sync" + restart;
  // A table's server follows from the list: another list loses the tables.
  if (now.backend != next.backend || !(now.postgres == next.postgres))
    return "storage.backend or storage.postgres differs";
  if (!(now.clients == next.clients)) return "clients" + restart;
  if (now.role_settings != next.role_settings) return "a role's settings section" + restart;
  if (!(now.security == next.security)) return "security" + restart;
  if (now.sms != next.sms) return "sms" + restart;
  if (now.push != next.push) return "push" + restart;
  if (now.email != next.email) return "email" + restart;
  std::map<std::string, const InstanceConfig*> before, after;
  for (const auto& ic : now.instances) before[ic.Name()] = &ic;
  for (const auto& ic : next.instances) after[ic.Name()] = &ic;
  for (const auto& [name, ic] : before) {
    auto it = after.find(name);
    if (it == after.end()) {
      if (!RoleRegistry::Global().Get(ic->role).reshapable)
        return name + " is gone (only messages instances may leave)";
      continue;
    }
    if (!SameEndpoints(*ic, *it->second)) return name + " has other addresses (restart to move an instance)";
  }
  for (const auto& [name, ic] : after) {
    if (!before.contains(name) && !RoleRegistry::Global().Get(ic->role).reshapable) {
      return name + " is new (only messages instances may join a running deployment)";
    }
  }
  // Instances are numbered from 0 (the config reader checks), so a role
  // keeps its lowest indexes whether it grows or shrinks.
  return "";
}

Status PostReshape(const LiveConfig& next) {
  const std::string text = ReadAll(next.file);
  if (text.empty()) return Status::IoError("cannot read " + next.file);
  std::error_code ec;
  fs::remove_all(AckDir(next), ec);
  return WriteAtomically(PostedFile(next), text);
}

std::vector<std::string> UnservedInstances(const LiveConfig& cfg, const std::vector<std::string>& acks) {
  std::set<std::string> served;
  for (const std::string& ack : acks) {
    const size_t at = ack.find("; serves ");
    if (at == std::string::npos) continue;
    std::istringstream names(ack.substr(at + 9));
    for (std::string name; names >> name;) served.insert(name);
  }
  std::vector<std::string> out;
  for (const auto& ic : cfg.instances) {
    if (!served.contains(ic.Name())) out.push_back(ic.Name());
  }
  return out;
}

Status CheckPostedReshape(const LiveConfig& cfg, const std::vector<InstanceConfig>& serving) {
  const std::string text = ReadAll(AppliedFile(cfg));
  // One process serving everything has nobody to disagree with.
  if (text.empty() || serving.size() == cfg.instances.size()) return Status::Ok();
  LiveConfig applied;
  try {
    applied = ParseConfig(text, AppliedFile(cfg).string());
  } catch (const ConfigError&) {
    return Status::Ok();
  }
  auto has = [](const std::vector<InstanceConfig>& list, const InstanceConfig& ic) {
    return std::find(list.begin(), list.end(), ic) != list.end();
  };
  const auto why = [&]() -> std::string {
    for (const auto& ic : applied.instances) {
      if (!has(cfg.instances, ic)) return ic.Name() + " is missing or has other addresses";
    }
    // More instances than the deployment has: only the process of a
    // joining instance, started before `msgbed reshape` posts the list.
    const bool joining =
        std::all_of(serving.begin(), serving.end(), [&](auto& ic) { return !has(applied.instances, ic); });
    for (const auto& ic : cfg.instances) {
      if (!has(applied.instances, ic) && !joining) return ic.Name() + " is not in it yet";
    }
    return "";
  }();
  if (why.empty()) return Status::Ok();
  return Status::Invalid(cfg.file + ": its instance list differs from the one `msgbed reshape` gave this deployment (" +
                         AppliedFile(cfg).string() + "): " + why +
                         ". Start with that list, or post this config with `msgbed reshape` while the deployment "
                         "runs (boxes would be looked for on the wrong instances)");
}

std::vector<std::string> ReshapeAcks(const LiveConfig& cfg) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(AckDir(cfg), ec)) {
    out.push_back(entry.path().filename().string() + ": " + ReadAll(entry.path()));
  }
  std::sort(out.begin(), out.end());
  return out;
}

ReshapeBoard::ReshapeBoard(boost::asio::io_context& io, const LiveConfig& cfg, std::string name,
                           std::function<Status(const LiveConfig&)> apply, std::function<std::string()> serves)
    : current_(cfg), name_(std::move(name)), apply_(std::move(apply)), serves_(std::move(serves)), timer_(io) {
  std::replace(name_.begin(), name_.end(), '/', '-');  // a file name
  // What was posted before this process started is in its config already
  // (or was refused then): only a later post is news.
  seen_ = ReadAll(PostedFile(cfg));
}

void ReshapeBoard::Watch() {
  Check();
  timer_.expires_after(kPoll);
  timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) Watch();
  });
}

void ReshapeBoard::Check() {
  const std::string text = ReadAll(PostedFile(current_));
  if (text.empty() || text == seen_) return;
  seen_ = text;
  LiveConfig next;
  try {
    next = ParseConfig(text, PostedFile(current_).string());
  } catch (const ConfigError& e) {
    spdlog::error("reshape refused: {}", e.what());
    return Ack(std::string("refused: ") + e.what());
  }
  if (const std::string why = ReshapeRefusal(current_, next); !why.empty()) {
    spdlog::error("reshape refused: {}", why);
    return Ack("refused: " + why);
  }
  // A process whose list this already is (a joining instance's) changes
  // nothing, and does not vouch for the list: the others record it.
  const bool changes = !(next.instances == current_.instances);
  current_.instances = next.instances;
  if (Status s = apply_(current_); !s.ok()) {
    spdlog::error("reshape failed: {}", s.message());
    return Ack("failed: " + s.message());
  }
  spdlog::info("reshape applied: {} instances", current_.instances.size());
  if (Status s = changes ? WriteAtomically(AppliedFile(current_), text) : Status::Ok(); !s.ok()) {
    spdlog::error("{}", s.message());
  }
  Ack("applied; serves " + serves_());
}

void ReshapeBoard::Ack(const std::string& what) {
  if (Status s = WriteAtomically(AckDir(current_) / (std::to_string(::getpid()) + "-" + name_), what + "\n"); !s.ok()) {
    spdlog::error("{}", s.message());
  }
}

}  // namespace msgbed::live
