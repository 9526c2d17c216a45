// StoreService: a storage node of the message store's tier (docs/storage.md).
// It keeps replicas of boxes (store/box_keys.h) for the messages instances,
// which drive the replication (messages/replicator.h): a write of a box
// applies only on top of the version before it, so a node that missed
// writes says so (behind) and is sent the whole box; a recovering messages
// instance lists the boxes it owns here and reads them back.
#pragma once

#include "core/service.h"
#include "proto/store.pb.h"

namespace msgbed {

// ListOwned answers at most this many boxes.
inline constexpr uint32_t kMaxListedBoxes = 4096;

class StoreService final : public Service {
 public:
  explicit StoreService(Env* env) : env_(env) {}
  void Register(Handlers& handlers) override;

 private:
  void HandleApply(const Incoming& in, const store::Apply& req);
  void HandlePutBox(const Incoming& in, const store::PutBox& req);
  void HandleVersions(const Incoming& in, const store::GetVersions& req);
  void HandleListOwned(const Incoming& in, const store::ListOwned& req);
  void HandleGetBox(const Incoming& in, const store::GetBox& req);
  void Answer(const ReplyTo& to, bool ok, uint64_t version);

  Env* env_;
};

}  // namespace msgbed
