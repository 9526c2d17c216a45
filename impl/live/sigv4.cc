#include "live/sigv4.h"

#include <sodium.h>

#include <cctype>

#include "core/sha256.h"

namespace msgbed::live {
namespace {

std::string Hmac(const std::string& key, const std::string& data) {
  crypto_auth_hmacsha256_state st;
  crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(key.data()), key.size());
  crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(data.data()), data.size());
  std::string out(crypto_auth_hmacsha256_BYTES, '\0');
  crypto_auth_hmacsha256_final(&st, reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

}  // namespace

std::string Sha256Hex(const std::string& bytes) { return Hex(Sha256::Of(bytes)); }

std::string UriEncodePath(const std::string& path) {
  static const char* digits = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : path) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '/') {
      out.push_back(static_cast<char>(c));
    } else {
      out += {'%', digits[c >> 4], digits[c & 15]};
    }
  }
  return out;
}

std::string SigV4Authorization(const SignedRequest& r, const S3Credentials& c) {
  std::string canonical_headers, signed_headers;
  for (const auto& [name, value] : r.headers) {
    canonical_headers += name + ":" + value + "\n";
    signed_headers += (signed_headers.empty() ? "" : ";") + name;
  }
  const std::string canonical = r.method + "\n" + r.path + "\n" + r.query + "\n" + canonical_headers + "\n" +
                                signed_headers + "\n" + r.payload_sha256;
  const std::string date = r.amz_date.substr(0, 8);
  const std::string scope = date + "/" + c.region + "/s3/aws4_request";
  const std::string to_sign = "AWS4-HMAC-SHA256\n" + r.amz_date + "\n" + scope + "\n" + Sha256Hex(canonical);
  const std::string key = Hmac(Hmac(Hmac(Hmac("AWS4" + c.secret_key, date), c.region), "s3"), "aws4_request");
  return "AWS4-HMAC-SHA256 Credential=" + c.access_key + "/" + scope + ",SignedHeaders=" + signed_headers +
         ",Signature=" + Hex(Hmac(key, to_sign));
}

}  // namespace msgbed::live
