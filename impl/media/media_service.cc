#include "media/media_service.h"

#include <algorithm>

#include "core/client_reply.h"
#include "core/sha256.h"
#include "media/file_reference.h"

namespace msgbed {

std::string UploadName(uint64_t user, uint64_t file_id, std::string_view sha256) {
  return std::to_string(user) + "-" + std::to_string(file_id) + "-" + Hex(sha256.substr(0, 8));
}

MediaService::MediaService(Env* env, MediaLimits limits) : env_(env), limits_(limits), store_(&env->Kv()) {
  Status s;
  std::optional<std::string> key = store_.Raw(MediaStore::SecretKey(), &s);
  if (s.ok() && !key) {
    key = env_->SecretBytes(kFileReferenceKeyBytes);
    WriteBatch batch;
    batch.Put(MediaStore::SecretKey(), *key);
    s = store_.Write(batch);
  }
  if (std::optional<std::string> next; s.ok() && (next = store_.Raw(MediaStore::CounterKey(), &s))) {
    next_document_ = MediaStore::FromBE(*next);
  }
  healthy_ = s.ok() && key && key->size() == kFileReferenceKeyBytes;
  if (healthy_) reference_key_ = *key;
  env_->StartTimer(limits_.sweep_interval, [this] { Sweep(); });
}

void MediaService::Register(Handlers& h) {
  h.On(this, &MediaService::HandleByHash);
  h.On(this, &MediaService::HandlePart);
  h.On(this, &MediaService::HandleUploadState);
  h.On(this, &MediaService::HandleFinish);
  h.On(this, &MediaService::HandleGetDocument);
  h.On(this, &MediaService::HandleGetFile);
  h.On(this, &MediaService::HandleDelete);
}

void MediaService::Answer(const ReplyTo& to, api::ServerFrame frame) { AnswerClient(*env_, to, std::move(frame)); }

void MediaService::Fail(const ReplyTo& to, api::ErrorCode code, const std::string& why) {
  if (code == api::INTERNAL) env_->Stats().Add("media.storage_errors");
  Answer(to, ErrorFrame(code, why));
}

// --- Documents

api::Document MediaService::Present(const media::DocumentRecord& doc) {
  api::Document out;
  out.set_id(doc.id());
  out.set_access_hash(doc.access_hash());
  out.set_sha256(doc.sha256());
  out.set_size(doc.size());
  out.set_mime_type(doc.mime_type());
  out.set_name(doc.name());
  const int64_t expires = env_->Date() + limits_.file_reference_ttl;
  out.set_file_reference(MakeFileReference(reference_key_, doc.id(), doc.access_hash(), expires));
  out.set_file_reference_expires_us(expires);
  return out;
}

api::Document MediaService::NewDocument(uint64_t user, const std::string& sha256, media::BlobRecord blob,
                                        const std::string& mime, const std::string& name, WriteBatch* batch) {
  media::DocumentRecord doc;
  doc.set_id(next_document_++ << 10 | (env_->Self().index() & 1023));
  doc.set_access_hash(MediaStore::FromBE(env_->SecretBytes(8)));
  doc.set_sha256(sha256);
  doc.set_size(blob.size());
  doc.set_owner(user);
  doc.set_mime_type(mime.substr(0, 255));
  doc.set_name(name.substr(0, 255));
  if (blob.refs() == 0 && blob.unreferenced_us() != 0) {
    batch->Delete(MediaStore::GraceKey(blob.unreferenced_us(), sha256));
  }
  blob.set_refs(blob.refs() + 1);
  blob.set_unreferenced_us(0);
  batch->Put(MediaStore::BlobKey(sha256), Bytes(blob));
  batch->Put(MediaStore::DocumentKey(sha256, doc.id()), Bytes(doc));
  batch->Put(MediaStore::CounterKey(), MediaStore::BE(next_document_));
  return Present(doc);
}

bool MediaService::BlobStored(const std::string& sha256) {
  std::string none;
  return env_->Blobs().Read(sha256, 0, 0, &none).ok();
}

void MediaService::HandleByHash(const Incoming& in, const media::GetDocumentByHash& req) {
  const api::GetDocumentByHash& r = req.request();
  if (!healthy_) return Fail(in.reply_to, api::INTERNAL, "the media store failed to open");
  if (!NamesAFile(r.sha256(), r.size())) {
    return Fail(in.reply_to, api::FILE_SIZE_INVALID, "sha256 must be 32 bytes and size 1 byte to 2 GiB");
  }
  Status s;
  const auto blob = store_.Blob(r.sha256(), &s);
  if (!s.ok()) return Fail(in.reply_to, api::INTERNAL, s.message());
  if (!blob || blob->size() != r.size() || !BlobStored(r.sha256())) {
    env_->Stats().Add("media.by_hash_misses");
    return Fail(in.reply_to, api::MEDIA_NOT_FOUND, "no stored file has that sha256 and size");
  }
  WriteBatch batch;
  api::ServerFrame frame;
  *frame.mutable_document() = NewDocument(req.client().user(), r.sha256(), *blob, r.mime_type(), r.name(), &batch);
  if (s = store_.Write(batch); !s.ok()) return Fail(in.reply_to, api::INTERNAL, s.message());
  env_->Stats().Add("media.by_hash_hits");
  env_->Stats().Add("media.bytes_not_uploaded", static_cast<int64_t>(r.size()));
  Answer(in.reply_to, std::move(frame));
}

std::optional<media::DocumentRecord> MediaService::Named(const std::string& sha256, uint64_t id, uint64_t access_hash,
                                                         api::ServerFrame* error) {
  Status s;
  auto doc = sha256.size() == kSha256Bytes ? store_.Document(sha256, id, &s) : std::nullopt;
  if (!s.ok()) {
    *error = ErrorFrame(api::INTERNAL, s.message());
  } else if (!doc || doc->access_hash() != access_hash) {
    *error = ErrorFrame(api::FILE_ID_INVALID, "no document has that sha256, id and access_hash");
    doc.reset();
  }
  return doc;
}

void MediaService::HandleGetDocument(const Incoming& in, const media::GetDocument& req) {
  const api::GetDocument& r = req.request();
  api::ServerFrame frame;
  if (const auto doc = Named(r.sha256(), r.id(), r.access_hash(), &frame)) *frame.mutable_document() = Present(*doc);
  Answer(in.reply_to, std::move(frame));
}

void MediaService::HandleGetFile(const Incoming& in, const media::GetFile& req) {
  const api::GetFile& r = req.request();
  Status s;
  const auto doc = r.sha256().size() == kSha256Bytes ? store_.Document(r.sha256(), r.document_id(), &s) : std::nullopt;
  if (!s.ok()) return Fail(in.reply_to, api::INTERNAL, s.message());
  const auto expires =
      doc ? FileReferenceExpiry(reference_key_, r.file_reference(), doc->id(), doc->access_hash()) : std::nullopt;
  if (!expires || *expires <= env_->Date()) {
    return Fail(in.reply_to, api::FILE_REFERENCE_EXPIRED, "file reference expired or unknown: GetDocument again");
  }
  if (r.limit() == 0 || r.limit() > kMaxFilePartLimit || r.offset() > doc->size()) {
    return Fail(in.reply_to, api::LIMIT_INVALID, "limit must be 1 to 524288 and offset at most the file's size");
  }
  api::ServerFrame frame;
  frame.mutable_file_part()->set_offset(r.offset());
  if (s = env_->Blobs().Read(r.sha256(), r.offset(), r.limit(), frame.mutable_file_part()->mutable_bytes()); !s.ok()) {
    return Fail(in.reply_to, api::INTERNAL, s.message());
  }
  env_->Stats().Add("media.bytes_served", static_cast<int64_t>(frame.file_part().bytes().size()));
  Answer(in.reply_to, std::move(frame));
}

void MediaService::HandleDelete(const Incoming& in, const media::DeleteDocument& req) {
  const api::DeleteDocument& r = req.request();
  api::ServerFrame frame;
  auto doc = Named(r.sha256(), r.id(), r.access_hash(), &frame);
  if (doc && doc->owner() != req.client().user()) {
    doc.reset();
    frame = ErrorFrame(api::FILE_ID_INVALID, "only the document's holder may delete it");
  }
  if (!doc) return Answer(in.reply_to, std::move(frame));
  Status s;
  auto blob = store_.Blob(r.sha256(), &s);
  if (!s.ok() || !blob)
    return Fail(in.reply_to, api::INTERNAL, s.ok() ? "the document's blob record is gone" : s.message());
  WriteBatch batch;
  batch.Delete(MediaStore::DocumentKey(r.sha256(), r.id()));
  blob->set_refs(blob->refs() > 0 ? blob->refs() - 1 : 0);
  if (blob->refs() == 0) {
    blob->set_unreferenced_us(env_->Date());
    batch.Put(MediaStore::GraceKey(blob->unreferenced_us(), r.sha256()), "");
  }
  batch.Put(MediaStore::BlobKey(r.sha256()), Bytes(*blob));
  if (s = store_.Write(batch); !s.ok()) return Fail(in.reply_to, api::INTERNAL, s.message());
  frame.mutable_done();
  Answer(in.reply_to, std::move(frame));
}

}  // namespace msgbed
