#include "client/file_upload.h"

#include "core/sha256.h"

namespace msgbed {
namespace {

constexpr uint64_t kPartBytes = 512 * 1024;

}  // namespace

FileUpload::FileUpload(uint64_t file_id, std::string bytes, std::string name, std::string mime, Send send)
    : FileUpload(file_id, std::make_shared<const std::string>(std::move(bytes)), "", std::move(name), std::move(mime),
                 std::move(send)) {}

FileUpload::FileUpload(uint64_t file_id, std::shared_ptr<const std::string> bytes, std::string sha256, std::string name,
                       std::string mime, Send send)
    : file_id_(file_id),
      bytes_(std::move(bytes)),
      sha256_(sha256.empty() ? Sha256::Of(*bytes_) : std::move(sha256)),
      name_(std::move(name)),
      mime_(std::move(mime)),
      parts_(static_cast<uint32_t>((bytes_->size() + kPartBytes - 1) / kPartBytes)),
      window_(bytes_->size() > kParallelAbove ? kParallelParts : 1),
      send_(std::move(send)) {}

void FileUpload::Fail(const api::Error& e) {
  if (e.code() == api::TIMEOUT || e.code() == api::UNAVAILABLE || e.code() == api::INTERNAL) {
    stalled_ = true;
  } else {
    error_ = e;
  }
}

void FileUpload::Start() {
  api::ClientFrame f;
  auto* ask = f.mutable_get_document_by_hash();
  ask->set_sha256(sha256_);
  ask->set_size(bytes_->size());
  ask->set_name(name_);
  ask->set_mime_type(mime_);
  pending_[send_(std::move(f))] = {Asked::kByHash, 0};
}

void FileUpload::Resume() {
  if (done()) return;
  stalled_ = false;
  pending_.clear();
  in_flight_ = 0;
  finishing_ = false;
  api::ClientFrame f;
  f.mutable_get_upload_state()->set_file_id(file_id_);
  f.mutable_get_upload_state()->set_sha256(sha256_);
  pending_[send_(std::move(f))] = {Asked::kState, 0};
}

void FileUpload::SendParts() {
  while (in_flight_ < window_ && !to_send_.empty()) {
    const uint32_t part = *to_send_.begin();
    to_send_.erase(to_send_.begin());
    api::ClientFrame f;
    auto* p = f.mutable_upload_part();
    p->set_file_id(file_id_);
    p->set_sha256(sha256_);
    p->set_size(bytes_->size());
    p->set_part(part);
    p->set_bytes(bytes_->substr(part * kPartBytes, kPartBytes));
    pending_[send_(std::move(f))] = {Asked::kPart, part};
    ++in_flight_;
    ++parts_sent_;
  }
  if (in_flight_ == 0 && to_send_.empty() && !finishing_) Finish();
}

void FileUpload::Finish() {
  finishing_ = true;
  api::ClientFrame f;
  auto* fin = f.mutable_finish_upload();
  fin->set_file_id(file_id_);
  fin->set_sha256(sha256_);
  fin->set_name(name_);
  fin->set_mime_type(mime_);
  pending_[send_(std::move(f))] = {Asked::kFinish, 0};
}

bool FileUpload::OnAnswer(uint64_t request_id, const api::ServerFrame& frame) {
  auto it = pending_.find(request_id);
  if (it == pending_.end()) return false;
  const auto [asked, part] = it->second;
  pending_.erase(it);
  if (done() || stalled_) return true;
  switch (asked) {
    case Asked::kByHash:
      if (frame.has_document()) {
        skipped_ = true;
        document_ = frame.document();
      } else if (frame.has_error() && frame.error().code() == api::MEDIA_NOT_FOUND) {
        for (uint32_t i = 0; i < parts_; ++i) to_send_.insert(i);
        SendParts();
      } else {
        Fail(frame.error());
      }
      return true;
    case Asked::kPart:
      --in_flight_;
      if (frame.has_error()) return Fail(frame.error()), true;
      SendParts();
      return true;
    case Asked::kState:
      if (frame.has_error() && frame.error().code() == api::FILE_ID_INVALID) {  // expired or never began
        for (uint32_t i = 0; i < parts_; ++i) to_send_.insert(i);
      } else if (frame.has_error()) {
        return Fail(frame.error()), true;
      } else {
        to_send_.clear();
        to_send_.insert(frame.upload_state().missing().begin(), frame.upload_state().missing().end());
      }
      SendParts();
      return true;
    case Asked::kFinish:
      if (frame.has_document()) {
        document_ = frame.document();
      } else if (frame.has_error() && frame.error().code() == api::FILE_PART_MISSING) {
        finishing_ = false;
        Resume();
      } else {
        Fail(frame.error());
      }
      return true;
  }
  return true;
}

}  // namespace msgbed
