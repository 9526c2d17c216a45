// AWS Signature Version 4 for S3 requests: what an S3-compatible store
// (AWS, Ceph RGW, MinIO, s3rver) checks on every request.
#pragma once

#include <map>
#include <string>

namespace msgbed::live {

struct S3Credentials {
  std::string access_key;
  std::string secret_key;
  std::string region = "us-east-1";
};

// One request as it is signed. headers: lowercase name -> value; they must
// include host, x-amz-date and x-amz-content-sha256 (payload_sha256).
struct SignedRequest {
  std::string method;  // "GET"
  std::string path;    // "/bucket/key", already URI-encoded
  std::string query;   // canonical: keys sorted, encoded ("partNumber=1&uploadId=x"), or ""
  std::map<std::string, std::string> headers;
  std::string payload_sha256;  // lowercase hex of the body's SHA-256
  std::string amz_date;        // "20130524T000000Z"
};

// The Authorization header's value.
std::string SigV4Authorization(const SignedRequest& r, const S3Credentials& c);

std::string Sha256Hex(const std::string& bytes);
// S3's URI encoding of a key's path segments ('/' kept).
std::string UriEncodePath(const std::string& path);

}  // namespace msgbed::live
