#include "live/live_fixture.h"

#include <unistd.h>

#include <stdexcept>

namespace msgbed::testing {

TempDir::TempDir(const std::string& tag) {
  const auto* test = ::testing::UnitTest::GetInstance()->current_test_info();
  path_ = std::filesystem::temp_directory_path() /
          ("msgbed-" + tag + "-" + std::to_string(::getpid()) + "-" + (test ? test->name() : "none"));
  std::filesystem::remove_all(path_);
  std::filesystem::create_directories(path_);
}

SplitDeployment::SplitDeployment(const std::string& extra, const std::string& storage, uint32_t store_nodes)
    : dir_("split"), store_nodes_(store_nodes) {
  const auto p = FreePorts(6 + store_nodes);
  const auto at = [](uint16_t port) { return "127.0.0.1:" + std::to_string(port); };
  yaml_ = "partitions: 4\nbus: {mode: mock, mock_brokers: 1, session_timeout: 3s}\nstorage: {data_dir: " +
          dir_.path().string() + ", sync: false" + storage + "}\n" + extra +
          "\ninstances:\n"
          "  gateway/0: {client: " +
          at(p[0]) + ", rpc: " + at(p[1]) + "}\n" + "  messages/0: {rpc: " + at(p[2]) + "}\n" +
          "  sync/0: {rpc: " + at(p[3]) + "}\n" + "  auth/0: {rpc: " + at(p[4]) + "}\n" +
          "  media/0: {rpc: " + at(p[5]) + "}\n";
  for (uint32_t i = 0; i < store_nodes; ++i)
    yaml_ += "  store/" + std::to_string(i) + ": {rpc: " + at(p[6 + i]) + "}\n";
  config_ = live::ParseConfig(yaml_, "split.yaml");
  std::vector<live::SessionKey> wanted;
  for (uint64_t user = 1; user <= 40; ++user) {
    for (uint64_t device = 1; device <= 3; ++device) wanted.emplace_back(user, device);
  }
  const Status s = live::ProvisionSessions(config_, wanted, &sessions_);
  if (!s.ok()) throw std::runtime_error("cannot provision: " + s.message());
}

SplitDeployment::~SplitDeployment() {
  // Services first, the bus last, as in production.
  std::vector<std::string> services;
  for (const auto& [selector, running] : procs_) {
    if (selector != "bus") services.push_back(selector);
  }
  for (const std::string& s : services) Stop(s);
  Stop("bus");
}

void SplitDeployment::Start(const std::string& selector, const live::LiveConfig* with) {
  Running& r = procs_[selector];
  ASSERT_FALSE(r.process) << selector << " is already running";
  const Status s = live::Process::Start(with ? *with : config_, selector, &r.process);
  ASSERT_TRUE(s.ok()) << selector << ": " << s.message();
  r.thread = std::thread([p = r.process.get()] { p->Run(); });
}

void SplitDeployment::Stop(const std::string& selector) {
  auto it = procs_.find(selector);
  if (it == procs_.end() || !it->second.process) return;
  it->second.process->Stop();
  it->second.thread.join();
  it->second.process.reset();
}

void SplitDeployment::StartAll() {
  Start("bus");
  for (uint32_t i = 0; i < store_nodes_; ++i) Start("store/" + std::to_string(i));
  for (const char* s : {"messages", "sync", "auth", "media", "gateway"}) Start(s);
}

uint16_t SplitDeployment::rpc_port(const std::string& role) const {
  for (const auto& i : config_.instances) {
    if (i.role == role) return i.rpc.port;
  }
  return 0;
}

}  // namespace msgbed::testing
