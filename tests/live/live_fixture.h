// Helpers for live tests: what a device saw, waiting on client I/O with a
// deadline, free loopback ports, and a deployment of one process per role
// inside the test binary (each Process on its own thread), any of which can
// be stopped and started again.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "live/config.h"
#include "live/device_connection.h"
#include "live/free_ports.h"
#include "live/process.h"
#include "live/provision.h"

namespace msgbed::testing {

inline constexpr auto kDeadline = std::chrono::seconds(30);

// What one device saw.
struct Seen final : Device::Observer {
  std::vector<std::pair<uint64_t, uint64_t>> delivered;  // (random_id, pts)
  std::vector<uint64_t> sent;                            // random_ids acknowledged
  std::vector<api::ServerFrame> frames;                  // every frame, in order
  std::vector<api::Error> errors;
  std::string closed;  // why the connection ended, if it did
  int synced = 0;
  void OnServerFrame(Device&, const api::ServerFrame& f) override { frames.push_back(f); }
  void OnDelivered(Device& d, const api::Message& m) override { delivered.emplace_back(m.random_id(), d.pts()); }
  void OnSent(Device&, const api::SentMessage& s) override { sent.push_back(s.random_id()); }
  void OnSynced(Device&) override { ++synced; }
  void OnError(Device&, const api::Error& e) override { errors.push_back(e); }
};

// Runs io until pred holds; false at the deadline.
inline bool RunUntil(live::asio::io_context& io, const std::function<bool()>& pred,
                     std::chrono::seconds deadline = kDeadline) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  auto busy = live::asio::make_work_guard(io);  // so that run_one_for waits instead of spinning
  while (!pred()) {
    if (std::chrono::steady_clock::now() > end) return false;
    io.run_one_for(std::chrono::milliseconds(20));
  }
  return true;
}

using live::FreePorts;

// A fresh directory under the system's temporary directory, removed by the destructor.
class TempDir {
 public:
  explicit TempDir(const std::string& tag);
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// gateway/0, messages/0, sync/0, auth/0 and media/0, and the mock bus, each in its
// own Process, and store_nodes storage nodes store/<i> (docs/storage.md).
// `extra` is YAML added to the config (e.g. a gateway: section); `storage`,
// keys added to its storage: mapping (", backend: ..."). Users 1 to 40 have
// accounts with sessions for devices 1 to 3, provisioned before anything
// starts (live/provision.h).
class SplitDeployment {
 public:
  explicit SplitDeployment(const std::string& extra = "", const std::string& storage = "", uint32_t store_nodes = 0);
  ~SplitDeployment();

  // The provisioned session of (user, device).
  const api::Authorization& Session(uint64_t user, uint64_t device) const { return sessions_.at({user, device}); }

  // selector: "bus", "gateway", "messages", "sync" or "auth" (or any
  // LiveConfig::Select selector), with the deployment's config or `with`.
  void Start(const std::string& selector, const live::LiveConfig* with = nullptr);
  void Stop(const std::string& selector);
  void StartAll();
  live::Process& process(const std::string& selector) { return *procs_.at(selector).process; }

  const live::LiveConfig& config() const { return config_; }
  uint16_t client_port() const { return config_.instances[0].client.port; }
  uint16_t rpc_port(const std::string& role) const;
  // The config's text, and the directory its data lives in.
  const std::string& yaml() const { return yaml_; }
  const std::filesystem::path& dir() const { return dir_.path(); }

 private:
  struct Running {
    std::unique_ptr<live::Process> process;
    std::thread thread;
  };
  TempDir dir_;
  uint32_t store_nodes_;
  std::string yaml_;
  live::LiveConfig config_;
  std::map<live::SessionKey, api::Authorization> sessions_;
  std::map<std::string, Running> procs_;
};

// A test against a SplitDeployment, all of it started, with devices on
// this test's own io_context.
class Split : public ::testing::Test {
 protected:
  explicit Split(const std::string& extra = "", const std::string& storage = "", uint32_t store_nodes = 0)
      : deploy_(extra, storage, store_nodes) {}
  void SetUp() override { deploy_.StartAll(); }

  // A device of user u that has signed in and synced.
  std::unique_ptr<live::DeviceConnection> Online(uint64_t user, Seen* seen, uint64_t device = 1) {
    auto c = std::make_unique<live::DeviceConnection>(io_, deploy_.Session(user, device), seen);
    c->Connect("127.0.0.1", deploy_.client_port(), [seen](const std::string& why) { seen->closed = why; });
    const int before = seen->synced;
    EXPECT_TRUE(RunUntil(io_, [&] { return seen->synced > before; })) << "user " << user << " never synced";
    return c;
  }
  bool Run(const std::function<bool()>& pred) { return RunUntil(io_, pred); }

  SplitDeployment deploy_;
  live::asio::io_context io_;
};

}  // namespace msgbed::testing
