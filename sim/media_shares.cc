#include "media_shares.h"

#include <cmath>
#include <cstdio>

#include "core/sha256.h"
#include "population.h"
#include "service_node.h"
#include "world.h"

namespace msgbed::sim {
namespace {

constexpr uint64_t kSeedUser = 1;
constexpr double kRetryAfter = 1;  // seconds before a stalled seed upload resumes

// n bytes of the run's own stream: the file's content.
std::string FileBytes(size_t n, uint64_t seed) {
  Rng rng(seed);
  std::string out(n, '\0');
  for (size_t i = 0; i < n; i += 8) {
    const uint64_t v = rng.Next();
    for (size_t k = 0; k < 8 && i + k < n; ++k) out[i + k] = static_cast<char>(v >> (8 * k));
  }
  return out;
}

}  // namespace

MediaShares::MediaShares(World* world)
    : world_(world),
      rng_(DeriveSeed(world->scenario.seed, "media")),
      file_(std::make_shared<const std::string>(
          FileBytes(world->scenario.workload.media.file_bytes, DeriveSeed(world->scenario.seed, "media/file")))),
      sha256_(Sha256::Of(*file_)) {}

void MediaShares::Begin(Node* clock) {
  clock_ = clock;
  const MediaLoad& m = world_->scenario.workload.media;
  const double start = m.start >= 0 ? m.start : world_->scenario.workload.connect_ramp;
  clock_->Post(start, 0, [this] { Upload(world_->users.DeviceIndex(kSeedUser, 1)); });
}

// Starts device's upload of the file (by hash first), if it is ready.
void MediaShares::Upload(uint64_t device) {
  auto [pop, index] = world_->Locate(device);
  const bool seed = device == world_->users.DeviceIndex(kSeedUser, 1);
  if (!pop->Ready(index) || active_.contains(device)) {
    if (seed) clock_->Post(world_->Now() + kRetryAfter, 0, [this, device] { Upload(device); });
    return;
  }
  auto send = [pop = pop, index = index](api::ClientFrame f) { return pop->Request(index, std::move(f)); };
  auto up = std::make_unique<FileUpload>(next_file_id_++, file_, sha256_, "viral.mp4", "video/mp4", send);
  FileUpload& started = *up;
  active_[device] = std::move(up);
  ++counts_.asked;
  started.Start();
}

// Exactly `shares` arrivals, at uniformly random times over what was left
// of the loaded period when the file got there (a Poisson process given
// its count): the next of n still to come after t comes at
// t + (end - t) * (1 - U^(1/n)), the first of n sorted uniforms.
void MediaShares::ScheduleShare(double after) {
  if (to_share_ == 0) return;
  const double end = world_->scenario.duration;
  const double at = after + (end - after) * (1 - std::pow(rng_.Uniform(), 1.0 / static_cast<double>(to_share_)));
  --to_share_;
  clock_->Post(at, 0, [this] { Share(); });
}

// A random device that is connected and up to date shares the file.
void MediaShares::Share() {
  const auto device = world_->PickReadyDevice(rng_, [this](uint64_t d) { return !active_.contains(d); });
  if (device) {
    Upload(*device);
  } else {
    ++counts_.skipped;
  }
  ScheduleShare(world_->Now());
}

bool MediaShares::OnFrame(uint64_t device, const api::ServerFrame& frame) {
  auto it = active_.find(device);
  if (it == active_.end() || !it->second->OnAnswer(frame.request_id(), frame)) return false;
  FileUpload& up = *it->second;
  if (up.done()) {
    Finished(device, up);
    active_.erase(device);
  } else if (up.stalled()) {
    ++counts_.failed;
    if (device == world_->users.DeviceIndex(kSeedUser, 1)) {  // the file must get there: try again
      clock_->Post(world_->Now() + kRetryAfter, 0, [this, device] {
        if (auto again = active_.find(device); again != active_.end()) again->second->Resume();
      });
    } else {
      active_.erase(device);
    }
  }
  return true;
}

void MediaShares::Finished(uint64_t device, const FileUpload& up) {
  if (!up.document()) {
    ++counts_.failed;
    return;
  }
  if (up.parts_sent() > 0) {
    ++counts_.uploads_done;
    counts_.parts_sent += up.parts_sent();
  }
  auto [pop, index] = world_->Locate(device);
  const uint64_t users = world_->scenario.workload.users;
  const uint64_t from = pop->devices()[index]->user;
  uint64_t peer = 1 + rng_.Below(users - 1);
  if (peer >= from) ++peer;
  pop->SendDocument(index, peer, *up.document(), rng_.Next() | 1);
  ++counts_.sent;
  if (counts_.uploaded_at < 0) {  // the seed's: the file is there, the shares begin
    counts_.uploaded_at = world_->Now();
    to_share_ = world_->Now() < world_->scenario.duration ? world_->scenario.workload.media.shares : 0;
    ScheduleShare(world_->Now());
  }
}

uint64_t MediaShares::parts_in_flight() const {
  uint64_t n = 0;
  for (const auto& [device, up] : active_) n += up->parts_sent();
  return n;
}

uint64_t MediaShares::shares_not_made() const {
  return counts_.uploaded_at < 0 ? world_->scenario.workload.media.shares : to_share_;
}

nlohmann::ordered_json MediaJson(const World& w) {
  const MediaShares::Counts& c = w.media->counts();
  uint64_t stored = 0;
  int64_t hits = 0, uploaded = 0;
  for (const auto& [addr, node] : w.services) {
    if (addr.role() != role::kMedia) continue;
    stored += node->blob_store().blob_bytes();
    hits += node->host().Stats().Get("media.by_hash_hits");
    uploaded += node->host().Stats().Get("media.bytes_uploaded");
  }
  const uint64_t size = w.media->file_bytes();
  // Without deduplication every document would be a copy uploaded and stored.
  const uint64_t copies = c.uploads_done + static_cast<uint64_t>(hits);
  return {{"file_bytes", size},
          {"shares_asked", c.asked},
          {"shares_skipped", c.skipped},
          {"shares_not_made", w.media->shares_not_made()},
          {"documents_sent", c.sent},
          {"failed", c.failed},
          {"unfinished_at_end", w.media->in_flight()},
          {"seed_uploaded_at_s", c.uploaded_at < 0 ? -1.0 : std::round(c.uploaded_at * 1e6) / 1e6},
          {"uploads", c.uploads_done},
          {"parts_sent", c.parts_sent + w.media->parts_in_flight()},
          {"by_hash_hits", hits},
          {"bytes_uploaded", uploaded},
          {"bytes_stored", stored},
          {"bytes_stored_without_dedup", copies * size},
          {"dedup_ratio", stored > 0 ? std::round(double(copies * size) / double(stored) * 1000) / 1000 : 0.0},
          {"upload_bytes_saved", static_cast<uint64_t>(hits) * size}};
}

void PrintMedia(const nlohmann::ordered_json& m, std::ostream& out) {
  auto size = [](double bytes) {
    const char* units[] = {"B", "kB", "MB", "GB", "TB", "PB"};
    int u = 0;
    for (; bytes >= 1000 && u < 5; ++u) bytes /= 1000;
    char text[32];
    std::snprintf(text, sizeof text, "%.1f %s", bytes, units[u]);
    return std::string(text);
  };
  out << "  media      " << m["uploads"] << " upload(s) of " << size(m["file_bytes"].get<double>()) << " ("
      << m["parts_sent"] << " parts), " << m["by_hash_hits"] << " shares found it by hash (" << m["shares_skipped"]
      << " found no device connected); stored " << size(m["bytes_stored"].get<double>()) << ", "
      << size(m["bytes_stored_without_dedup"].get<double>()) << " without dedup; upload saved "
      << size(m["upload_bytes_saved"].get<double>()) << "\n";
}

}  // namespace msgbed::sim
