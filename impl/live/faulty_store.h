// FaultyStore: an instance's store as a disk fault (fault_board.h) leaves
// it: writes fail while the disk is full, and take `slow` times as long
// while it is slow (the instance's thread waits, as on a slow fsync).
// Reads pass through.
#pragma once

#include <memory>

#include "core/kv_store.h"
#include "live/fault_board.h"

namespace msgbed::live {

class FaultyStore final : public KvStore {
 public:
  // REQUIRES: board outlives this store.
  FaultyStore(std::unique_ptr<KvStore> inner, const FaultBoard* board, Address self)
      : inner_(std::move(inner)), board_(board), self_(std::move(self)) {}

  std::optional<std::string> Get(std::string_view key, Status* s) override { return inner_->Get(key, s); }
  Status Scan(std::string_view from, std::string_view to, size_t limit, Entries* out) override {
    return inner_->Scan(from, to, limit, out);
  }
  Status ScanBack(std::string_view from, std::string_view to, size_t limit, Entries* out) override {
    return inner_->ScanBack(from, to, limit, out);
  }
  Status Write(const WriteBatch& batch) override;

 private:
  std::unique_ptr<KvStore> inner_;
  const FaultBoard* board_;
  const Address self_;
};

}  // namespace msgbed::live
