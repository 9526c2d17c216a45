#include "memory_estimate.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "store/placement.h"

namespace msgbed::sim {

double EstimateMemoryBytes(const Scenario& sc) {
  // Measured (docs/benchmarks.md): 8,000 msg/s need 162 MB more than
  // 2,000 msg/s over 20 s (1.35 KB a message with its deliveries, boxes and
  // records); a million users x 2 devices with 1.08 million messages peak
  // at 6.9 GB (2.7 KB a device, its account and session in the auth
  // stores and its user's box partitions in the message stores included).
  // About 10 % on top.
  constexpr double kBase = 80e6, kPerDevice = 3.0e3, kPerMessage = 1.5e3;
  const WorkloadSpec& w = sc.workload;
  const double devices = w.Devices(sc.duration);
  // At the rate curve's peak throughout: a bound, not a forecast.
  // A channel post costs a delivery record per member device (8 bytes
  // kept, ~100 in flight) and its copy in the channel's box; members cost
  // a row each.
  constexpr double kPerPostDelivery = 120, kPerMember = 100;
  double channels = 0;
  for (const ChannelLoad& c : w.channels) {
    const double member_devices = static_cast<double>(c.members) * w.MeanDevices();
    channels += c.members * kPerMember + c.posts_per_minute / 60 * sc.duration * member_devices * kPerPostDelivery;
  }
  // workload.media: each share is a message with its deliveries and a
  // document (2.5 KB: bench/viral-million.yaml peaks at 3.2 GB with a
  // million shares); the file is held by the workload, staged and stored.
  constexpr double kPerShare = 2.5e3;
  const double media =
      w.media.file_bytes > 0 ? static_cast<double>(w.media.shares) * kPerShare + 3.0 * w.media.file_bytes : 0;
  // The message store's tier keeps every box write again on each replica
  // (scenarios/storage-tier.yaml, two replicas: 55 MB more for 12,000
  // messages, 2.3 KB a message a replica).
  constexpr double kPerMessageReplica = 2.3e3;
  double replicas = 0;
  if (auto store = sc.services.find(kStoreRole); store != sc.services.end()) {
    auto settings = sc.role_settings.find(role::kMessages);
    const double wanted = settings != sc.role_settings.end() && settings->second.contains("store_replicas")
                              ? settings->second.at("store_replicas")
                              : 2;
    replicas = std::min(wanted, static_cast<double>(store->second.size()));
  }
  const double messages = w.messages_per_second * w.MaxRateFactor() * sc.duration;
  return kBase + devices * kPerDevice + messages * (kPerMessage + replicas * kPerMessageReplica) + channels + media;
}

void CheckMemory(const Scenario& sc, double available) {
  const double need = EstimateMemoryBytes(sc);
  if (need <= available) return;
  char text[200];
  std::snprintf(text, sizeof text,
                ": key 'workload': this run needs an estimated %.1f GB of memory (%.3g devices, %.3g messages); "
                "this machine (or ulimit -v) allows %.1f GB",
                need / 1e9, sc.workload.Devices(sc.duration),
                sc.workload.messages_per_second * sc.workload.MaxRateFactor() * sc.duration, available / 1e9);
  const std::string at = sc.workload_line > 0 ? ":" + std::to_string(sc.workload_line) : "";
  throw ScenarioError(sc.file + at + text);
}

double UsableMemoryBytes() {
  const double physical = static_cast<double>(::sysconf(_SC_PHYS_PAGES)) * static_cast<double>(::sysconf(_SC_PAGESIZE));
  struct rlimit limit {};
  if (::getrlimit(RLIMIT_AS, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return physical;
  return std::min(physical, static_cast<double>(limit.rlim_cur));
}

}  // namespace msgbed::sim
