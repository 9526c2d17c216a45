// The gateway's media requests: each goes to the media instance that owns
// the file's SHA-256 (docs/media.md).
#include "gateway/gateway_service.h"
#include "media/placement.h"
#include "proto/media.pb.h"

namespace msgbed {

// Media requests go to the media instance owning the file's sha256.
bool GatewayService::MediaTraffic(ConnId conn, Session& s, const api::ClientFrame& frame) {
  const uint64_t id = frame.request_id();
  const std::string* sha256 = nullptr;
  switch (frame.body_case()) {
    case api::ClientFrame::kGetDocumentByHash: sha256 = &frame.get_document_by_hash().sha256(); break;
    case api::ClientFrame::kUploadPart: sha256 = &frame.upload_part().sha256(); break;
    case api::ClientFrame::kGetUploadState: sha256 = &frame.get_upload_state().sha256(); break;
    case api::ClientFrame::kFinishUpload: sha256 = &frame.finish_upload().sha256(); break;
    case api::ClientFrame::kGetDocument: sha256 = &frame.get_document().sha256(); break;
    case api::ClientFrame::kGetFile: sha256 = &frame.get_file().sha256(); break;
    case api::ClientFrame::kDeleteDocument: sha256 = &frame.delete_document().sha256(); break;
    default: return false;
  }
  if (shape_.Count(role::kMedia) == 0) {
    Reject(conn, id, api::UNAVAILABLE, "this deployment has no media service");
    return true;
  }
  const Address to = MediaOwner(shape_, *sha256);
  switch (frame.body_case()) {
    case api::ClientFrame::kGetDocumentByHash:
      ForwardAs(conn, s, id, to, frame.get_document_by_hash(), &media::GetDocumentByHash::mutable_request);
      break;
    case api::ClientFrame::kUploadPart:
      ForwardAs(conn, s, id, to, frame.upload_part(), &media::UploadPart::mutable_request);
      break;
    case api::ClientFrame::kGetUploadState:
      ForwardAs(conn, s, id, to, frame.get_upload_state(), &media::GetUploadState::mutable_request);
      break;
    case api::ClientFrame::kFinishUpload:
      ForwardAs(conn, s, id, to, frame.finish_upload(), &media::FinishUpload::mutable_request);
      break;
    case api::ClientFrame::kGetDocument:
      ForwardAs(conn, s, id, to, frame.get_document(), &media::GetDocument::mutable_request);
      break;
    case api::ClientFrame::kGetFile: {
      // Ranges of up to 512 KiB: more at once than this would fill the
      // connection's outbound buffer (clients.max_outbound_bytes) and get
      // the client dropped as a slow reader.
      if (s.file_ranges >= kMaxFileRanges) {
        Reject(conn, id, api::FLOOD_WAIT, "at most 4 file ranges in flight on a connection", 1);
        break;
      }
      auto req = NewBody<media::GetFile>();
      *req->mutable_client() = RefOf(conn, s);
      *req->mutable_request() = frame.get_file();
      Forward(conn, s, id, to, std::move(req), Step::kFileRange);
      break;
    }
    default: ForwardAs(conn, s, id, to, frame.delete_document(), &media::DeleteDocument::mutable_request); break;
  }
  return true;
}

}  // namespace msgbed
