#include <filesystem>
#include <iostream>

#include "commands.h"
#include "live/config.h"
#include "live/provision.h"
#include "live/terminal_client.h"

namespace msgbed::cli {

int Provision(const ProvisionOptions& opts) {
  live::LiveConfig config;
  try {
    config = live::LoadConfig(opts.config);
  } catch (const live::ConfigError& e) {
    std::cerr << "msgbed provision: " << e.what() << "\n";
    return 2;
  }
  std::error_code ec;
  std::filesystem::create_directories(opts.out, ec);
  if (ec) {
    std::cerr << "msgbed provision: --out " << opts.out << ": " << ec.message() << "\n";
    return 2;
  }
  std::vector<live::SessionKey> wanted;
  for (uint64_t u = 1; u <= opts.users; ++u) {
    for (uint64_t d = 1; d <= opts.devices; ++d) wanted.emplace_back(u, d);
  }
  std::map<live::SessionKey, api::Authorization> sessions;
  if (Status s = live::ProvisionSessions(config, wanted, &sessions); !s.ok()) {
    // RocksDB refuses a second opener: the deployment is running.
    const bool locked =
        config.backend == live::StorageBackend::kRocksDb && s.message().find("lock") != std::string::npos;
    std::cerr << "msgbed provision: " << s.message()
              << (locked ? " (is the deployment running? stop its auth instances first)" : "") << "\n";
    return 1;
  }
  for (const auto& [key, session] : sessions) {
    const auto file = std::filesystem::path(opts.out) /
                      ("user-" + std::to_string(key.first) + "-device-" + std::to_string(key.second) + ".session");
    if (!live::SaveSession(file.string(), session)) {
      std::cerr << "msgbed provision: cannot write " << file << "\n";
      return 1;
    }
  }
  std::cout << "provisioned " << sessions.size() << " sessions of " << opts.users << " users in " << opts.out << "\n";
  return 0;
}

}  // namespace msgbed::cli
