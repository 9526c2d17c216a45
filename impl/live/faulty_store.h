// FaultyStore: an instance's store as a disk fault (fault_board.h) leaves
// it: writes fail while the disk is full, and take `slow` times as long
// while it is slow (the instance's thread waits, as on a slow fsync).
// Reads pass through. Every failure, injected or not, is logged (at most a
// line a second, with how many were not): clients are told only that the
// service failed (the gateway hides the reason), so the log must say it.
#pragma once

#include <chrono>
#include <memory>

#include "core/kv_store.h"
#include "live/fault_board.h"

namespace msgbed::live {

class FaultyStore final : public KvStore {
 public:
  // REQUIRES: board outlives this store.
  FaultyStore(std::unique_ptr<KvStore> inner, const FaultBoard* board, Address self)
      : inner_(std::move(inner)), board_(board), self_(std::move(self)) {}

  std::optional<std::string> Get(std::string_view key, Status* s) override {
    auto v = inner_->Get(key, s);
    Noted(*s);
    return v;
  }
  Status Scan(std::string_view from, std::string_view to, size_t limit, Entries* out) override {
    return Noted(inner_->Scan(from, to, limit, out));
  }
  Status ScanBack(std::string_view from, std::string_view to, size_t limit, Entries* out) override {
    return Noted(inner_->ScanBack(from, to, limit, out));
  }
  Status Write(const WriteBatch& batch) override { return Noted(FaultedWrite(batch)); }

 private:
  Status FaultedWrite(const WriteBatch& batch);
  // Logs s if it is a failure (rate-limited) and returns it.
  Status Noted(Status s);

  std::chrono::steady_clock::time_point last_logged_{};
  uint64_t unlogged_ = 0;
  std::unique_ptr<KvStore> inner_;
  const FaultBoard* board_;
  const Address self_;
};

}  // namespace msgbed::live
