// Uploads: parts in any order, resumable, sealed into one blob per hash.
#include <string>

#include "core/client_reply.h"
#include "media/media_service.h"

namespace msgbed {
namespace {

constexpr size_t kMaxMissingListed = 1000;

bool Bit(const std::string& bits, uint32_t i) { return i / 8 < bits.size() && (bits[i / 8] >> (i % 8)) & 1; }

void SetBit(std::string* bits, uint32_t i) {
  if (bits->size() <= i / 8) bits->resize(i / 8 + 1, '\0');
  (*bits)[i / 8] = static_cast<char>((*bits)[i / 8] | (1 << (i % 8)));
}

// Bytes part `part` of a file of `size` bytes holds.
uint64_t PartBytes(uint64_t size, uint32_t part) {
  const uint32_t total = PartsOf(size);
  return part + 1 < total ? kFilePartBytes : size - uint64_t{total - 1} * kFilePartBytes;
}

}  // namespace

api::UploadState MediaService::StateOf(uint64_t file_id, const media::UploadRecord& up) const {
  api::UploadState state;
  state.set_file_id(file_id);
  state.set_parts_total(up.parts_total());
  state.set_parts_received(up.parts_received());
  for (uint32_t i = 0; i < up.parts_total() && static_cast<size_t>(state.missing_size()) < kMaxMissingListed; ++i) {
    if (!Bit(up.received(), i)) state.add_missing(i);
  }
  return state;
}

void MediaService::HandlePart(const Incoming& in, const media::UploadPart& req) {
  const api::UploadPart& r = req.request();
  const uint64_t user = req.client().user();
  if (!healthy_) return Fail(in.reply_to, api::INTERNAL, "the media store failed to open");
  if (!NamesAFile(r.sha256(), r.size())) {
    return Fail(in.reply_to, api::FILE_SIZE_INVALID, "sha256 must be 32 bytes and size 1 byte to 2 GiB");
  }
  if (r.part() >= PartsOf(r.size()) || r.bytes().size() != PartBytes(r.size(), r.part())) {
    return Fail(in.reply_to, api::FILE_PART_INVALID,
                "part " + std::to_string(r.part()) + " of a " + std::to_string(r.size()) + "-byte file must be " +
                    (r.part() >= PartsOf(r.size()) ? "below " + std::to_string(PartsOf(r.size()))
                                                   : std::to_string(PartBytes(r.size(), r.part())) + " bytes"));
  }
  Status s;
  auto up = store_.Upload(user, r.file_id(), r.sha256(), &s);
  if (!s.ok()) return Fail(in.reply_to, api::INTERNAL, s.message());
  if (up && up->size() != r.size()) {
    return Fail(in.reply_to, api::FILE_ID_CONFLICT, "this file_id uploads this sha256 with another size");
  }
  if (!up) {
    up.emplace();
    up->set_sha256(r.sha256());
    up->set_size(r.size());
    up->set_parts_total(PartsOf(r.size()));
  }
  const std::string name = UploadName(user, r.file_id(), r.sha256());
  if (Bit(up->received(), r.part())) {  // again: the same bytes, or a mistake
    std::string had;
    if (s = env_->Blobs().ReadPart(name, r.part(), &had); !s.ok()) return Fail(in.reply_to, api::INTERNAL, s.message());
    if (had != r.bytes()) return Fail(in.reply_to, api::FILE_PART_INVALID, "the part differs from the one received");
  } else {
    if (s = env_->Blobs().PutPart(name, r.part(), r.bytes()); !s.ok()) {
      return Fail(in.reply_to, api::INTERNAL, s.message());
    }
    WriteBatch batch;
    if (up->last_part_us() != 0) batch.Delete(MediaStore::ExpiryKey(up->last_part_us(), user, r.file_id(), r.sha256()));
    SetBit(up->mutable_received(), r.part());
    up->set_parts_received(up->parts_received() + 1);
    up->set_last_part_us(env_->Date());
    batch.Put(MediaStore::ExpiryKey(up->last_part_us(), user, r.file_id(), r.sha256()), "");
    batch.Put(MediaStore::UploadKey(user, r.file_id(), r.sha256()), Bytes(*up));
    if (s = store_.Write(batch); !s.ok()) return Fail(in.reply_to, api::INTERNAL, s.message());
    env_->Stats().Add("media.parts");
    env_->Stats().Add("media.bytes_uploaded", static_cast<int64_t>(r.bytes().size()));
  }
  api::ServerFrame frame;
  *frame.mutable_upload_state() = StateOf(r.file_id(), *up);
  Answer(in.reply_to, std::move(frame));
}

void MediaService::HandleUploadState(const Incoming& in, const media::GetUploadState& req) {
  const api::GetUploadState& r = req.request();
  Status s;
  const auto up = store_.Upload(req.client().user(), r.file_id(), r.sha256(), &s);
  if (!s.ok()) return Fail(in.reply_to, api::INTERNAL, s.message());
  if (!up) return Fail(in.reply_to, api::FILE_ID_INVALID, "no such upload");
  api::ServerFrame frame;
  *frame.mutable_upload_state() = StateOf(r.file_id(), *up);
  Answer(in.reply_to, std::move(frame));
}

void MediaService::HandleFinish(const Incoming& in, const media::FinishUpload& req) {
  const api::FinishUpload& r = req.request();
  const uint64_t user = req.client().user();
  if (!healthy_) return Fail(in.reply_to, api::INTERNAL, "the media store failed to open");
  Status s;
  const auto up = store_.Upload(user, r.file_id(), r.sha256(), &s);
  if (!s.ok()) return Fail(in.reply_to, api::INTERNAL, s.message());
  if (!up) {
    return Fail(in.reply_to, api::FILE_ID_INVALID, "no upload has that file_id and sha256 (none began, or it expired)");
  }
  if (up->parts_received() < up->parts_total()) {
    return Fail(in.reply_to, api::FILE_PART_MISSING,
                std::to_string(up->parts_total() - up->parts_received()) + " of " + std::to_string(up->parts_total()) +
                    " parts missing (GetUploadState lists them)");
  }
  Answer(in.reply_to, Finish(user, r, *up));
}

api::ServerFrame MediaService::Finish(uint64_t user, const api::FinishUpload& req, const media::UploadRecord& up) {
  const std::string& sha256 = up.sha256();
  WriteBatch batch;
  batch.Delete(MediaStore::UploadKey(user, req.file_id(), up.sha256()));
  batch.Delete(MediaStore::ExpiryKey(up.last_part_us(), user, req.file_id(), up.sha256()));
  Status s = SealBlob(UploadName(user, req.file_id(), up.sha256()), up);
  if (s.IsCorruption()) {  // the upload is spent: its records go
    env_->Stats().Add("media.hash_mismatches");
    (void)store_.Write(batch);
    return ErrorFrame(api::FILE_HASH_MISMATCH, "the parts do not hash to sha256; upload the file again");
  }
  Status found;
  auto blob = s.ok() ? store_.Blob(sha256, &found) : std::nullopt;
  if (s.ok() && !blob) s = found.ok() ? Status::Corruption("the blob's record is gone") : found;
  if (!s.ok()) {
    env_->Stats().Add("media.storage_errors");
    return ErrorFrame(api::INTERNAL, s.message());
  }
  api::ServerFrame frame;
  *frame.mutable_document() = NewDocument(user, sha256, *blob, req.mime_type(), req.name(), &batch);
  if (s = store_.Write(batch); !s.ok()) {
    env_->Stats().Add("media.storage_errors");
    return ErrorFrame(api::INTERNAL, s.message());
  }
  env_->Stats().Add("media.uploads_finished");
  return frame;
}

// Makes the blob of up from its parts, unless it is stored already (then
// the parts go). Before sealing, the blob's record is written unreferenced
// and queued for the grace sweep, so sealed bytes are never left without
// a record that frees them.
Status MediaService::SealBlob(const std::string& upload, const media::UploadRecord& up) {
  const std::string& sha256 = up.sha256();
  Status s;
  const auto blob = store_.Blob(sha256, &s);
  if (!s.ok()) return s;
  if (blob && BlobStored(sha256)) {
    env_->Stats().Add("media.dedup_hits");
    env_->Stats().Add("media.bytes_deduplicated", static_cast<int64_t>(up.size()));
    return env_->Blobs().DropUpload(upload);
  }
  if (!blob) {
    media::BlobRecord fresh;
    fresh.set_size(up.size());
    fresh.set_unreferenced_us(env_->Date());
    WriteBatch pre;
    pre.Put(MediaStore::BlobKey(sha256), Bytes(fresh));
    pre.Put(MediaStore::GraceKey(fresh.unreferenced_us(), sha256), "");
    if (s = store_.Write(pre); !s.ok()) return s;
  }
  if (s = env_->Blobs().Seal(upload, up.parts_total(), sha256); s.ok()) {
    env_->Stats().Add("media.blobs_stored");
    env_->Stats().Add("media.bytes_stored", static_cast<int64_t>(up.size()));
  }
  return s;
}

}  // namespace msgbed
