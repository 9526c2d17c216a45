// The gateway's media requests: each goes to the media instance that owns
// the file's SHA-256 (docs/media.md).
#include "gateway/gateway_service.h"
#include "media/placement.h"
#include "proto/media.pb.h"

namespace msgbed {

// Media requests go to the media instance owning the file's sha256, which
// each of them names.
bool GatewayService::MediaTraffic(ConnId conn, Session& s, const api::ClientFrame& frame) {
  const uint64_t id = frame.request_id();
  auto forward = [&](const auto& request, auto field, Step step = Step::kRequest) {
    if (shape_.Count(role::kMedia) == 0)
      return Reject(conn, id, api::UNAVAILABLE, "this deployment has no media service");
    // Ranges of up to 512 KiB: more at once than this would fill the
    // connection's outbound buffer (clients.max_outbound_bytes) and get
    // the client dropped as a slow reader.
    if (step == Step::kFileRange && s.file_ranges >= kMaxFileRanges) {
      return Reject(conn, id, api::FLOOD_WAIT, "at most 4 file ranges in flight on a connection", 1);
    }
    ForwardAs(conn, s, id, MediaOwner(shape_, request.sha256()), request, field, step);
  };
  switch (frame.body_case()) {
    case api::ClientFrame::kGetDocumentByHash:
      forward(frame.get_document_by_hash(), &media::GetDocumentByHash::mutable_request);
      return true;
    case api::ClientFrame::kUploadPart: forward(frame.upload_part(), &media::UploadPart::mutable_request); return true;
    case api::ClientFrame::kGetUploadState:
      forward(frame.get_upload_state(), &media::GetUploadState::mutable_request);
      return true;
    case api::ClientFrame::kFinishUpload:
      forward(frame.finish_upload(), &media::FinishUpload::mutable_request);
      return true;
    case api::ClientFrame::kGetDocument:
      forward(frame.get_document(), &media::GetDocument::mutable_request);
      return true;
    case api::ClientFrame::kGetFile:
      forward(frame.get_file(), &media::GetFile::mutable_request, Step::kFileRange);
      return true;
    case api::ClientFrame::kDeleteDocument:
      forward(frame.delete_document(), &media::DeleteDocument::mutable_request);
      return true;
    default: return false;
  }
}

}  // namespace msgbed
