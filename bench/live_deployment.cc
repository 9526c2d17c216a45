#include "live_deployment.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <iostream>
#include <vector>

#include "live/config.h"
#include "live/tls.h"

namespace msgbed::live {

std::unique_ptr<LiveDeployment> LiveDeployment::Start(uint64_t users, uint64_t devices, bool sync_writes, bool tls) {
  std::unique_ptr<LiveDeployment> d(new LiveDeployment);
  d->dir_ = std::filesystem::temp_directory_path() / ("msgbed-live-bench-" + std::to_string(::getpid()));
  std::string clients;
  if (tls) {
    const std::string certs = (d->dir_ / "tls").string();
    if (auto s = WriteDevCertificates(certs, {"127.0.0.1"}, 1); !s.ok()) {
      std::cerr << s.message() << "\n";
      return nullptr;
    }
    clients = "clients: {tls: {cert: " + certs + "/server.pem, key: " + certs + "/server.key}}\n";
  }
  const std::string yaml =
      clients + "partitions: 8\nbus: {mode: mock, mock_brokers: 1}\nstorage: {data_dir: " + d->dir_.string() +
      ", sync: " + (sync_writes ? "true" : "false") +
      "}\ngateway: {source_request_rate: 10000000, source_request_burst: 10000000, "
      "max_connections_per_source: 1000000}\ninstances:\n  gateway/0: {client: 127.0.0.1:0, rpc: 127.0.0.1:0}\n"
      "  messages/0: {rpc: 127.0.0.1:0}\n  sync/0: {rpc: 127.0.0.1:0}\n  auth/0: {rpc: 127.0.0.1:0}\n"
      "  media/0: {rpc: 127.0.0.1:0}\n";
  const LiveConfig config = ParseConfig(yaml, "bench");
  std::vector<SessionKey> wanted;
  for (uint64_t u = 1; u <= users; ++u) {
    for (uint64_t dev = 1; dev <= devices; ++dev) wanted.emplace_back(u, dev);
  }
  if (auto s = ProvisionSessions(config, wanted, &d->sessions_); !s.ok()) {
    std::cerr << s.message() << "\n";
    return nullptr;
  }
  if (auto s = Process::Start(config, "", &d->server_); !s.ok()) {
    std::cerr << s.message() << "\n";
    return nullptr;
  }
  spdlog::set_level(spdlog::level::warn);
  d->serving_ = std::thread([server = d->server_.get()] { server->Run(); });
  return d;
}

LiveDeployment::~LiveDeployment() {
  if (server_) server_->Stop();
  if (serving_.joinable()) serving_.join();
  server_.reset();
  std::filesystem::remove_all(dir_);
}

}  // namespace msgbed::live
