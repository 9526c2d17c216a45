// BotApiService: files. sendDocument and sendPhoto take a file uploaded in
// the request (multipart/form-data) or a file_id; the server uploads as a
// client does (impl/client/file_upload.h: by hash first, so a file the
// media store has is not sent again), then sends the message. getFile
// names a file by its file_id, and /file/bot<token>/<file_path> downloads
// it, fetched from the media store in 512 KiB ranges (at most 20 MB, the
// Bot API's limit).
#include "auth/credential.h"
#include "botapi/bot_api_service.h"
#include "client/file_upload.h"
#include "core/client_reply.h"
#include "core/sha256.h"
#include "media/media_service.h"
#include "media/placement.h"
#include "messages/placement.h"
#include "proto/media.pb.h"
#include "proto/messages.pb.h"

namespace msgbed {

namespace {

using botjson::Json;

constexpr uint64_t kMaxDownload = 20'000'000;

// The media request a client frame of an upload stands for.
Body MediaRequest(const rpc::ClientRef& ref, const api::ClientFrame& f) {
  auto wrap = [&](auto body, auto* field, const auto& request) {
    *body->mutable_client() = ref;
    *field = request;
    return body;
  };
  if (f.has_get_document_by_hash()) {
    auto b = NewBody<media::GetDocumentByHash>();
    return wrap(b, b->mutable_request(), f.get_document_by_hash());
  }
  if (f.has_upload_part()) {
    auto b = NewBody<media::UploadPart>();
    return wrap(b, b->mutable_request(), f.upload_part());
  }
  if (f.has_get_upload_state()) {
    auto b = NewBody<media::GetUploadState>();
    return wrap(b, b->mutable_request(), f.get_upload_state());
  }
  auto b = NewBody<media::FinishUpload>();
  return wrap(b, b->mutable_request(), f.finish_upload());
}

}  // namespace

struct BotApiService::UploadJob {
  std::unique_ptr<FileUpload> upload;
  uint64_t next_id = 1;
  std::function<void(const api::Document&)> done;
};

void BotApiService::SendFile(RequestPtr req, Bot& bot, const std::string& field) {
  uint64_t user = 0, group = 0;
  if (!ChatParam(*req, "chat_id", &user, &group)) return;
  const uint64_t id = bot.account.id();
  auto send = [this, req, id, user, group](const api::Document& document) {
    auto msg = NewBody<messages::SendMessage>();
    *msg->mutable_client() = RefOf(id);
    msg->mutable_send()->set_peer_user(user);
    msg->mutable_send()->set_chat_id(group);
    msg->mutable_send()->set_text(req->Param("caption"));
    msg->mutable_send()->set_random_id(env_->Random().Next() | 1);
    *msg->mutable_send()->mutable_document() = document;
    api::Message sent;
    sent.set_from_user(id);
    sent.set_peer_user(user);
    sent.set_chat_id(group);
    sent.set_text(req->Param("caption"));
    *sent.mutable_document() = document;
    CallBox(req, BoxOwner(shape_, id), std::move(msg), [this, req, sent, id](const api::ServerFrame& f) mutable {
      sent.set_id(f.sent_message().message_id());
      sent.set_date_us(f.sent_message().date_us());
      WithProfiles({id, sent.peer_user()}, [this, req, sent] {
        Json m = botjson::MessageJson(sent, ProfileLookup(), TitleLookup());
        m["document"]["file_id"] = botjson::FileIdOf(sent.document());
        Ok(*req, m);
      });
    });
  };
  for (const api::BotFile& file : req->call.files()) {
    if (file.field() != field) continue;
    if (!RateAllows(*req, bot, user, group)) return;
    return IfMayWrite(req, bot, user, [this, req, id, &file, send = std::move(send)]() mutable {
      Upload(req, id, file, std::move(send));
    });
  }
  const auto document = botjson::DocumentOfFileId(req->Param(field));
  if (!document) return Fail(*req, 400, "Bad Request: there is no " + field + " in the request, or a wrong file_id");
  if (!RateAllows(*req, bot, user, group)) return;
  IfMayWrite(req, bot, user, [document, send = std::move(send)] { send(*document); });
}

void BotApiService::Upload(RequestPtr req, uint64_t bot, const api::BotFile& file,
                           std::function<void(const api::Document&)> done) {
  if (file.bytes().empty()) return Fail(*req, 400, "Bad Request: file must be non-empty");
  if (shape_.Count(role::kMedia) == 0) return Fail(*req, 501, "Not Implemented: no media store in this deployment");
  auto job = std::make_shared<UploadJob>();
  job->done = std::move(done);
  const std::string sha = Sha256::Of(file.bytes());
  const std::string mime = file.content_type().empty() ? "application/octet-stream" : file.content_type();
  UploadJob* raw = job.get();
  auto send = [this, raw, job_weak = std::weak_ptr<UploadJob>(job), req, bot, sha](api::ClientFrame f) {
    const uint64_t id = raw->next_id++;
    auto answered = [this, job = job_weak.lock(), req, id](const CallResult& r) {
      const auto* answer = r.As<rpc::ClientAnswer>();
      const api::ServerFrame frame = answer ? answer->frame() : ErrorFrame(api::TIMEOUT, "media did not answer");
      job->upload->OnAnswer(id, frame);
      if (job->upload->document()) return job->done(*job->upload->document());
      if (job->upload->error()) return FailWith(*req, *job->upload->error());
      if (job->upload->stalled()) return Fail(*req, 502, "Bad Gateway: the media store did not answer; retry");
    };
    const Address to = MediaOwner(shape_, sha);
    Body body = MediaRequest(RefOf(bot), f);
    if (f.has_upload_part()) {
      env_->Transfer(to, std::move(body), limits_.request_timeout, std::move(answered));
    } else {
      env_->Call(to, std::move(body), limits_.request_timeout, std::move(answered));
    }
    return id;
  };
  // The callbacks hold the job; the job holds the upload, whose Send holds
  // only a weak reference back: no cycle outlives the last answer.
  job->upload =
      std::make_unique<FileUpload>(env_->Random().Next() | 1, std::make_shared<const std::string>(file.bytes()), sha,
                                   file.filename(), mime, std::move(send));
  env_->Stats().Add("botapi.uploads");
  job->upload->Start();
}

void BotApiService::GetFile(RequestPtr req, Bot& bot) {
  const auto document = botjson::DocumentOfFileId(req->Param("file_id"));
  if (!document) return Fail(*req, 400, "Bad Request: wrong file_id");
  if (document->size() > kMaxDownload) return Fail(*req, 400, "Bad Request: file is too big");
  Fresh(req, bot.account.id(), *document, [this, req](const api::Document& d) {
    const std::string file_id = botjson::FileIdOf(d);
    Ok(*req, {{"file_id", file_id},
              {"file_unique_id", Hex(d.sha256()).substr(0, 32)},
              {"file_size", d.size()},
              {"file_path", "documents/" + file_id}});
  });
}

void BotApiService::Fresh(RequestPtr req, uint64_t bot, const api::Document& d,
                          std::function<void(const api::Document&)> done) {
  if (shape_.Count(role::kMedia) == 0) return Fail(*req, 501, "Not Implemented: no media store in this deployment");
  auto get = NewBody<media::GetDocument>();
  *get->mutable_client() = RefOf(bot);
  get->mutable_request()->set_sha256(d.sha256());
  get->mutable_request()->set_id(d.id());
  get->mutable_request()->set_access_hash(d.access_hash());
  CallBox(req, MediaOwner(shape_, d.sha256()), std::move(get),
          [done](const api::ServerFrame& f) { done(f.document()); });
}

void BotApiService::Download(RequestPtr req, Bot& bot, const std::string& file_path) {
  const std::string prefix = "documents/";
  const auto document =
      file_path.rfind(prefix, 0) == 0 ? botjson::DocumentOfFileId(file_path.substr(prefix.size())) : std::nullopt;
  if (!document) return Fail(*req, 404, "Not Found: no such file");
  if (document->size() > kMaxDownload) return Fail(*req, 400, "Bad Request: file is too big");
  const uint64_t id = bot.account.id();
  Fresh(req, id, *document, [this, req, id](const api::Document& d) {
    auto bytes = std::make_shared<std::string>();
    bytes->reserve(d.size());
    FetchRange(req, id, d, bytes);
  });
}

void BotApiService::FetchRange(RequestPtr req, uint64_t bot, const api::Document& d,
                               std::shared_ptr<std::string> bytes) {
  if (bytes->size() >= d.size()) {
    api::ServerFrame frame;
    frame.mutable_bot_answer()->set_status(200);
    frame.mutable_bot_answer()->set_content_type(d.mime_type().empty() ? "application/octet-stream" : d.mime_type());
    frame.mutable_bot_answer()->set_body(std::move(*bytes));
    env_->Stats().Add("botapi.downloads");
    return AnswerFrame(*req, std::move(frame));
  }
  auto get = NewBody<media::GetFile>();
  *get->mutable_client() = RefOf(bot);
  get->mutable_request()->set_sha256(d.sha256());
  get->mutable_request()->set_document_id(d.id());
  get->mutable_request()->set_file_reference(d.file_reference());
  get->mutable_request()->set_offset(bytes->size());
  get->mutable_request()->set_limit(kMaxFilePartLimit);
  env_->Transfer(MediaOwner(shape_, d.sha256()), std::move(get), limits_.request_timeout,
                 [this, req, bot, d, bytes](const CallResult& r) {
                   const auto* answer = r.As<rpc::ClientAnswer>();
                   if (!answer || !answer->frame().has_file_part() || answer->frame().file_part().bytes().empty()) {
                     return FailCall(*req, r);
                   }
                   bytes->append(answer->frame().file_part().bytes());
                   FetchRange(req, bot, d, bytes);
                 });
}

}  // namespace msgbed
