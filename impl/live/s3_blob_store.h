// S3BlobStore: the live BlobStore on an S3-compatible object store (AWS,
// Ceph RGW, MinIO; the tests use s3rver), for deployments whose media
// instances run on several hosts. Plain HTTP with Signature Version 4
// (put a TLS relay in front for https). Objects:
//   <prefix>blobs/<64 hex digits>                 a sealed blob
//   <prefix>uploads/<instance>/<upload>/<part>    a staged part
// A seal streams the parts into a multipart upload (8 MiB pieces, hashed
// on the way) and completes it only if the hash matches: S3 makes the
// object visible whole or not at all. Calls block, as RocksDB's do.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "core/blob_store.h"
#include "live/sigv4.h"

namespace msgbed::live {

struct S3Options {
  std::string host, port = "80";
  std::string bucket;
  std::string prefix;    // of every object, e.g. "msgbed/"
  std::string instance;  // this instance's name, for its staged parts
  S3Credentials credentials;
};

class S3BlobStore final : public BlobStore {
 public:
  // Connects and creates the bucket if it does not exist.
  static Status Open(S3Options options, std::unique_ptr<S3BlobStore>* out);

  Status PutPart(std::string_view upload, uint32_t part, std::string_view bytes) override;
  Status ReadPart(std::string_view upload, uint32_t part, std::string* out) override;
  Status Seal(std::string_view upload, uint32_t parts, std::string_view sha256) override;
  Status DropUpload(std::string_view upload) override;
  Status Read(std::string_view sha256, uint64_t offset, uint64_t limit, std::string* out) override;
  Status Delete(std::string_view sha256) override;

  std::string BlobKey(std::string_view sha256) const;

 private:
  struct Response {
    unsigned status = 0;
    std::string body;
    std::string etag;
  };
  explicit S3BlobStore(S3Options o) : o_(std::move(o)) {}
  std::string PartKey(std::string_view upload, uint32_t part) const;
  // One request, signed; reconnects once if the connection had closed.
  Status Call(const std::string& method, const std::string& key, const std::string& query, const std::string& body,
              const std::map<std::string, std::string>& extra_headers, Response* out);
  Status Exchange(const std::string& method, const std::string& key, const std::string& query, const std::string& body,
                  const std::map<std::string, std::string>& extra_headers, Response* out);
  Status Connect();
  // A multipart upload left open: its id, and the request that completes it.
  struct Multipart {
    std::string upload_id, complete;
  };
  // Hashes the upload's parts into *sha256 and, unless key is empty,
  // streams them into a multipart upload of object key, left open in
  // *open for Seal to complete or abort.
  Status CopyParts(std::string_view upload, uint32_t parts, const std::string& key, std::string* sha256,
                   Multipart* open);

  S3Options o_;
  boost::asio::io_context io_;
  std::optional<boost::asio::ip::tcp::socket> socket_;
};

}  // namespace msgbed::live
