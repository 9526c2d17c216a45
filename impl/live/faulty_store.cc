#include "live/faulty_store.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <thread>

namespace msgbed::live {

// A slowed write takes at least this long per unit of slowdown: an
// unsynced RocksDB write takes microseconds, a disk's fsync about this.
constexpr auto kSlowWriteFloor = std::chrono::microseconds(100);
// No one write waits longer than this, nor past its fault's end: the
// process's thread (its other instances, its fault polling) must go on.
constexpr auto kMaxSlowWrite = std::chrono::milliseconds(500);

Status FaultyStore::Noted(Status s) {
  if (s.ok()) return s;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_logged_ < std::chrono::seconds(1)) {
    ++unlogged_;
    return s;
  }
  spdlog::warn("{}: storage failed: {}{}", ToString(self_), s.message(),
               unlogged_ > 0 ? fmt::format(" ({} more failures since the last line)", unlogged_) : "");
  last_logged_ = now;
  unlogged_ = 0;
  return s;
}

Status FaultyStore::FaultedWrite(const WriteBatch& batch) {
  using namespace std::chrono;
  double slowdown = 1;
  int64_t until_ms = 0;
  if (!board_->DiskWrite(self_, &slowdown, &until_ms)) {
    return Status::IoError("no space left on device (an injected disk fault)");
  }
  const auto start = steady_clock::now();
  Status s = inner_->Write(batch);
  if (slowdown > 1) {
    const auto took = std::max<steady_clock::duration>(steady_clock::now() - start, kSlowWriteFloor);
    const auto left = milliseconds(until_ms) - duration_cast<milliseconds>(system_clock::now().time_since_epoch());
    const auto extra = duration_cast<microseconds>(took * (slowdown - 1));
    std::this_thread::sleep_for(std::min<steady_clock::duration>({extra, kMaxSlowWrite, left}));
  }
  return s;
}

}  // namespace msgbed::live
