#include "live/s3_blob_store.h"

#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio/connect.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <ctime>
#include <vector>

#include "core/sha256.h"

namespace msgbed::live {
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

namespace {

constexpr size_t kPieceBytes = 8 << 20;  // S3 wants multipart pieces of 5 MiB and more, the last aside
constexpr int kTimeoutSeconds = 30;
constexpr size_t kMaxResponseBytes = (64u << 20) + (1u << 20);

std::string AmzDate() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[20];
  std::strftime(text, sizeof text, "%Y%m%dT%H%M%SZ", &utc);
  return text;
}

// Query values are encoded as path segments, with '/' encoded too.
std::string QueryEncode(const std::string& v) {
  std::string out;
  for (char c : UriEncodePath(v)) {
    if (c == '/') {
      out += "%2F";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// The text of the first <tag>...</tag> in xml, "" if none.
std::string XmlValue(const std::string& xml, const std::string& tag, size_t* from = nullptr) {
  const size_t start = xml.find("<" + tag + ">", from ? *from : 0);
  if (start == std::string::npos) return "";
  const size_t begin = start + tag.size() + 2, end = xml.find("</" + tag + ">", begin);
  if (end == std::string::npos) return "";
  if (from) *from = end;
  return xml.substr(begin, end - begin);
}

Status Http(const std::string& what, unsigned status, const std::string& body) {
  const std::string code = XmlValue(body, "Code");
  return Status::IoError("s3 " + what + ": HTTP " + std::to_string(status) + (code.empty() ? "" : " " + code));
}

}  // namespace

Status S3BlobStore::Open(S3Options options, std::unique_ptr<S3BlobStore>* out) {
  std::unique_ptr<S3BlobStore> store(new S3BlobStore(std::move(options)));
  Response r;
  if (Status s = store->Call("PUT", "", "", "", {}, &r); !s.ok()) return s;
  // 409: the bucket exists (BucketAlreadyOwnedByYou).
  if (r.status != 200 && r.status != 409) return Http("create bucket " + store->o_.bucket, r.status, r.body);
  *out = std::move(store);
  return Status::Ok();
}

std::string S3BlobStore::BlobKey(std::string_view sha256) const { return o_.prefix + "blobs/" + Hex(sha256); }

std::string S3BlobStore::PartKey(std::string_view upload, uint32_t part) const {
  char name[16];
  std::snprintf(name, sizeof name, "%08u", part);
  return o_.prefix + "uploads/" + o_.instance + "/" + std::string(upload) + "/" + name;
}

Status S3BlobStore::Connect() {
  boost::system::error_code ec;
  socket_.emplace(io_);
  tcp::resolver resolver(io_);
  const auto hosts = resolver.resolve(o_.host, o_.port, ec);
  if (!ec) boost::asio::connect(*socket_, hosts, ec);
  if (ec) {
    socket_.reset();
    return Status::IoError("s3: cannot connect to " + o_.host + ":" + o_.port + ": " + ec.message());
  }
  // Blocking calls with a bound: a store that stops answering fails the call.
  timeval tv{kTimeoutSeconds, 0};
  ::setsockopt(socket_->native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(socket_->native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  return Status::Ok();
}

Status S3BlobStore::Call(const std::string& method, const std::string& key, const std::string& query,
                         const std::string& body, const std::map<std::string, std::string>& extra_headers,
                         Response* out) {
  const bool was_open = socket_.has_value();
  Status s = Exchange(method, key, query, body, extra_headers, out);
  if (!s.ok() && was_open) {  // a kept connection the store had closed: once more on a new one
    socket_.reset();
    s = Exchange(method, key, query, body, extra_headers, out);
  }
  if (!s.ok()) socket_.reset();
  return s;
}

Status S3BlobStore::Exchange(const std::string& method, const std::string& key, const std::string& query,
                             const std::string& body, const std::map<std::string, std::string>& extra_headers,
                             Response* out) {
  if (!socket_) {
    if (Status s = Connect(); !s.ok()) return s;
  }
  SignedRequest sr;
  sr.method = method;
  sr.path = "/" + o_.bucket + (key.empty() ? "" : "/" + UriEncodePath(key));
  sr.query = query;
  sr.amz_date = AmzDate();
  sr.payload_sha256 = Sha256Hex(body);
  sr.headers = extra_headers;
  sr.headers["host"] = o_.host + ":" + o_.port;
  sr.headers["x-amz-date"] = sr.amz_date;
  sr.headers["x-amz-content-sha256"] = sr.payload_sha256;
  http::request<http::string_body> req{http::string_to_verb(method), sr.path + (query.empty() ? "" : "?" + query), 11};
  for (const auto& [name, value] : sr.headers) req.set(name, value);
  req.set(http::field::authorization, SigV4Authorization(sr, o_.credentials));
  req.body() = body;
  req.prepare_payload();
  beast::error_code ec;
  http::write(*socket_, req, ec);
  if (ec) return Status::IoError("s3 " + method + " " + key + ": " + ec.message());
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kMaxResponseBytes);
  parser.skip(method == "HEAD");
  http::read(*socket_, buffer, parser, ec);
  if (ec) return Status::IoError("s3 " + method + " " + key + ": " + ec.message());
  auto& res = parser.get();
  out->status = res.result_int();
  out->body = std::move(res.body());
  out->etag = std::string(res[http::field::etag]);
  if (!res.keep_alive()) socket_.reset();
  return Status::Ok();
}

Status S3BlobStore::PutPart(std::string_view upload, uint32_t part, std::string_view bytes) {
  if (!ValidUploadName(upload)) return Status::Invalid("bad upload name '" + std::string(upload) + "'");
  Response r;
  if (Status s = Call("PUT", PartKey(upload, part), "", std::string(bytes), {}, &r); !s.ok()) return s;
  return r.status == 200 ? Status::Ok() : Http("put part", r.status, r.body);
}

Status S3BlobStore::ReadPart(std::string_view upload, uint32_t part, std::string* out) {
  if (!ValidUploadName(upload)) return Status::Invalid("bad upload name '" + std::string(upload) + "'");
  Response r;
  if (Status s = Call("GET", PartKey(upload, part), "", "", {}, &r); !s.ok()) return s;
  if (r.status == 404) return Status::NotFound("no part " + std::to_string(part) + " of " + std::string(upload));
  if (r.status != 200) return Http("get part", r.status, r.body);
  *out = std::move(r.body);
  return Status::Ok();
}

Status S3BlobStore::CopyParts(std::string_view upload, uint32_t parts, const std::string& key, std::string* sha256,
                              Multipart* open) {
  Response r;
  const bool copy = !key.empty();
  std::string upload_id;
  if (copy) {
    if (Status s = Call("POST", key, "uploads=", "", {}, &r); !s.ok()) return s;
    upload_id = XmlValue(r.body, "UploadId");
    if (r.status != 200 || upload_id.empty()) return Http("start multipart upload", r.status, r.body);
  }
  const std::string id_query = "uploadId=" + QueryEncode(upload_id);
  std::string piece, complete = "<CompleteMultipartUpload>";
  int pieces = 0;
  auto flush = [&]() -> Status {
    ++pieces;
    Response p;
    const std::string q = "partNumber=" + std::to_string(pieces) + "&" + id_query;
    if (Status s = Call("PUT", key, q, piece, {}, &p); !s.ok()) return s;
    if (p.status != 200) return Http("put piece", p.status, p.body);
    complete += "<Part><PartNumber>" + std::to_string(pieces) + "</PartNumber><ETag>" + p.etag + "</ETag></Part>";
    piece.clear();
    return Status::Ok();
  };
  Sha256 hash;
  Status s;
  for (uint32_t i = 0; i < parts && s.ok(); ++i) {
    std::string bytes;
    s = ReadPart(upload, i, &bytes);
    if (!s.ok()) break;
    hash.Update(bytes);
    if (!copy) continue;
    piece += bytes;
    if (piece.size() >= kPieceBytes) s = flush();
  }
  if (s.ok() && copy && (!piece.empty() || pieces == 0)) s = flush();
  *sha256 = hash.Finish();
  if (!copy) return s;
  if (s.ok()) {
    complete += "</CompleteMultipartUpload>";
    *open = {upload_id, complete};  // the caller completes it only if the hash matches
    return s;
  }
  (void)Call("DELETE", key, id_query, "", {}, &r);  // abort: nothing becomes visible
  return s;
}

Status S3BlobStore::Seal(std::string_view upload, uint32_t parts, std::string_view sha256) {
  if (!ValidUploadName(upload)) return Status::Invalid("bad upload name '" + std::string(upload) + "'");
  const std::string key = BlobKey(sha256);
  Response r;
  if (Status s = Call("HEAD", key, "", "", {}, &r); !s.ok()) return s;
  const bool exists = r.status == 200;
  std::string got;
  Multipart open;
  if (Status s = CopyParts(upload, parts, exists ? "" : key, &got, &open); !s.ok()) return s;
  const bool matches = got == sha256;
  if (!exists) {
    const std::string q = "uploadId=" + QueryEncode(open.upload_id);
    if (Status s = Call(matches ? "POST" : "DELETE", key, q, matches ? open.complete : "", {}, &r); !s.ok()) return s;
    // A completion can fail inside a 200: its body says so.
    if (matches && (r.status != 200 || !XmlValue(r.body, "Code").empty())) {
      return Http("complete multipart upload", r.status, r.body);
    }
  }
  if (Status s = DropUpload(upload); !s.ok()) return s;
  return matches ? Status::Ok()
                 : Status::Corruption("the parts of " + std::string(upload) + " do not hash to the blob's name");
}

Status S3BlobStore::DropUpload(std::string_view upload) {
  if (!ValidUploadName(upload)) return Status::Invalid("bad upload name '" + std::string(upload) + "'");
  const std::string prefix = o_.prefix + "uploads/" + o_.instance + "/" + std::string(upload) + "/";
  for (;;) {
    Response r;
    if (Status s = Call("GET", "", "list-type=2&prefix=" + QueryEncode(prefix), "", {}, &r); !s.ok()) return s;
    if (r.status != 200) return Http("list " + prefix, r.status, r.body);
    std::vector<std::string> keys;
    size_t at = 0;
    for (std::string k; !(k = XmlValue(r.body, "Key", &at)).empty();) keys.push_back(k);
    if (keys.empty()) return Status::Ok();
    for (const std::string& k : keys) {
      Response d;
      if (Status s = Call("DELETE", k, "", "", {}, &d); !s.ok()) return s;
      if (d.status != 204 && d.status != 200 && d.status != 404) return Http("delete " + k, d.status, d.body);
    }
  }
}

Status S3BlobStore::Read(std::string_view sha256, uint64_t offset, uint64_t limit, std::string* out) {
  out->clear();
  Response r;
  if (limit == 0) {
    if (Status s = Call("HEAD", BlobKey(sha256), "", "", {}, &r); !s.ok()) return s;
    return r.status == 200   ? Status::Ok()
           : r.status == 404 ? Status::NotFound("no such blob")
                             : Http("head", r.status, "");
  }
  const std::string range = "bytes=" + std::to_string(offset) + "-" + std::to_string(offset + limit - 1);
  if (Status s = Call("GET", BlobKey(sha256), "", "", {{"range", range}}, &r); !s.ok()) return s;
  if (r.status == 404) return Status::NotFound("no such blob");
  if (r.status == 416) return Status::Ok();  // the range starts past the end
  if (r.status == 206) {
    *out = std::move(r.body);
  } else if (r.status == 200) {  // a store that ignores ranges sends it all
    *out = offset < r.body.size() ? r.body.substr(offset, limit) : "";
  } else {
    return Http("get blob", r.status, r.body);
  }
  return Status::Ok();
}

Status S3BlobStore::Delete(std::string_view sha256) {
  Response r;
  if (Status s = Call("DELETE", BlobKey(sha256), "", "", {}, &r); !s.ok()) return s;
  return r.status == 204 || r.status == 200 || r.status == 404 ? Status::Ok() : Http("delete blob", r.status, r.body);
}

}  // namespace msgbed::live
