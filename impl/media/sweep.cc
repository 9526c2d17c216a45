// The media service's sweep: frees blobs past their grace period and drops
// uploads that stopped.
#include "media/media_service.h"

namespace msgbed {
namespace {

constexpr size_t kSweepBatch = 1000;

}  // namespace

void MediaService::Sweep() {
  bool more = false;
  if (healthy_) {
    more |= SweepGrace();
    more |= SweepUploads();
  }
  // A full batch: the rest soon, in handler-sized steps.
  env_->StartTimer(more ? std::min(kSecond, limits_.sweep_interval) : limits_.sweep_interval, [this] { Sweep(); });
}

bool MediaService::SweepGrace() {
  std::vector<MediaStore::Due> due;
  if (Status s = store_.DueEntries('g', env_->Date() - limits_.grace_period, kSweepBatch, &due); !s.ok()) {
    env_->Stats().Add("media.storage_errors");
    return false;
  }
  for (const MediaStore::Due& entry : due) {
    const std::string& sha256 = entry.rest;
    Status s;
    const auto blob = store_.Blob(sha256, &s);
    if (!s.ok()) break;
    WriteBatch batch;
    batch.Delete(entry.key);
    // Referenced again since, or queued again later: only this entry goes.
    if (blob && blob->refs() == 0 && blob->unreferenced_us() == entry.date) {
      if (s = env_->Blobs().Delete(sha256); !s.ok()) break;
      batch.Delete(MediaStore::BlobKey(sha256));
      env_->Stats().Add("media.blobs_freed");
      env_->Stats().Add("media.bytes_freed", static_cast<int64_t>(blob->size()));
    }
    if (s = store_.Write(batch); !s.ok()) break;
  }
  return due.size() == kSweepBatch;
}

bool MediaService::SweepUploads() {
  std::vector<MediaStore::Due> due;
  if (Status s = store_.DueEntries('e', env_->Date() - limits_.upload_expiry, kSweepBatch, &due); !s.ok()) {
    env_->Stats().Add("media.storage_errors");
    return false;
  }
  for (const MediaStore::Due& entry : due) {
    const std::string_view rest = entry.rest;
    const uint64_t user = MediaStore::FromBE(rest), file_id = MediaStore::FromBE(rest.substr(8));
    const std::string_view sha256 = rest.substr(std::min<size_t>(16, rest.size()));
    if (!env_->Blobs().DropUpload(UploadName(user, file_id, sha256)).ok()) break;
    WriteBatch batch;
    batch.Delete(entry.key);
    batch.Delete(MediaStore::UploadKey(user, file_id, sha256));
    if (!store_.Write(batch).ok()) break;
    env_->Stats().Add("media.uploads_expired");
  }
  return due.size() == kSweepBatch;
}

}  // namespace msgbed
