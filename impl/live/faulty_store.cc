#include "live/faulty_store.h"

#include <chrono>
#include <thread>

namespace msgbed::live {

// A slowed write takes at least this long per unit of slowdown: an
// unsynced RocksDB write takes microseconds, a disk's fsync about this.
constexpr auto kSlowWriteFloor = std::chrono::microseconds(100);

Status FaultyStore::Write(const WriteBatch& batch) {
  double slowdown = 1;
  if (!board_->DiskWrite(self_, &slowdown)) return Status::IoError("no space left on device (an injected disk fault)");
  const auto start = std::chrono::steady_clock::now();
  Status s = inner_->Write(batch);
  if (slowdown > 1) {
    const auto took =
        std::max<std::chrono::steady_clock::duration>(std::chrono::steady_clock::now() - start, kSlowWriteFloor);
    std::this_thread::sleep_for(took * (slowdown - 1));
  }
  return s;
}

}  // namespace msgbed::live
