#include "live/link_auth.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/address.h"

namespace msgbed::live {

namespace {

bool InitSodium() {
  static const bool ok = sodium_init() >= 0;
  return ok;
}

std::string ToHex(const std::string& bytes) {
  std::string hex(bytes.size() * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
  hex.pop_back();
  return hex;
}

// Writes a fresh secret to path unless one is there already: written to a
// temporary file, then linked into place, which fails if path exists.
Status CreateSecret(const std::string& path) {
  std::string secret(32, '\0');
  randombytes_buf(secret.data(), secret.size());
  const std::string hex = ToHex(secret) + "\n";
  std::error_code ec;
  const auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return Status::IoError("cannot create " + tmp + ": " + std::strerror(errno));
  const bool written = ::write(fd, hex.data(), hex.size()) == static_cast<ssize_t>(hex.size()) && ::fsync(fd) == 0;
  ::close(fd);
  const int linked = written ? ::link(tmp.c_str(), path.c_str()) : -1;
  const int link_errno = errno;
  ::unlink(tmp.c_str());
  if (!written) return Status::IoError("cannot write " + tmp);
  if (linked != 0 && link_errno != EEXIST)
    return Status::IoError("cannot create " + path + ": " + std::strerror(link_errno));
  return Status::Ok();
}

}  // namespace

Status LoadSecret(const std::string& path, bool create, std::string* secret) {
  if (!InitSodium()) return Status::IoError("libsodium failed to initialise");
  if (create && !std::filesystem::exists(path)) {
    if (Status s = CreateSecret(path); !s.ok()) return s;
  }
  std::ifstream in(path);
  std::string hex;
  if (!in || !(in >> hex)) {
    return Status::IoError("cannot read the deployment secret " + path +
                           " (security.secret_file); every process of a deployment needs the same one");
  }
  secret->assign(hex.size() / 2, '\0');
  size_t n = 0;
  const bool ok = sodium_hex2bin(reinterpret_cast<unsigned char*>(secret->data()), secret->size(), hex.data(),
                                 hex.size(), nullptr, &n, nullptr) == 0;
  if (!ok || n * 2 != hex.size() || n < kMinSecretBytes) {
    return Status::Invalid(path + ": expected at least " + std::to_string(kMinSecretBytes) +
                           " bytes as hex on the first line");
  }
  secret->resize(n);
  return Status::Ok();
}

std::string NewNonce() {
  InitSodium();
  std::string nonce(kNonceBytes, '\0');
  randombytes_buf(nonce.data(), nonce.size());
  return nonce;
}

std::string OperatorKey(const std::string& secret) {
  InitSodium();
  constexpr std::string_view kLabel = "msgbed bot operator";
  std::string mac(crypto_auth_hmacsha256_BYTES, '\0');
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(secret.data()), secret.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(kLabel.data()), kLabel.size());
  crypto_auth_hmacsha256_final(&state, reinterpret_cast<unsigned char*>(mac.data()));
  return ToHex(mac);
}

bool SameOperatorKey(std::string_view presented, const std::string& key) {
  return !key.empty() && presented.size() == key.size() && sodium_memcmp(presented.data(), key.data(), key.size()) == 0;
}

namespace {

// HMAC-SHA-256 of label and the transcript, each field length-prefixed so
// that no two transcripts read the same.
std::string TranscriptMac(const std::string& secret, std::string_view label, const std::string& nonce_a,
                          const rpc::LinkHello& hello) {
  std::string text;
  auto field = [&text](std::string_view f) {
    const uint32_t n = static_cast<uint32_t>(f.size());
    for (int i = 3; i >= 0; --i) text.push_back(static_cast<char>(n >> (8 * i)));
    text.append(f);
  };
  field(label);
  field(nonce_a);
  field(hello.nonce());
  field(ToString(hello.target()));
  for (const auto& a : hello.instances()) field(ToString(a));
  field(hello.bulk() ? "bulk" : "ordered");
  std::string mac(crypto_auth_hmacsha256_BYTES, '\0');
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(secret.data()), secret.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(text.data()), text.size());
  crypto_auth_hmacsha256_final(&state, reinterpret_cast<unsigned char*>(mac.data()));
  return mac;
}

bool SameMac(const std::string& a, const std::string& b) {
  return a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

constexpr std::string_view kHelloLabel = "msgbed-link-v2 hello";
constexpr std::string_view kWelcomeLabel = "msgbed-link-v2 welcome";

}  // namespace

rpc::LinkHello MakeHello(const std::string& secret, const std::string& nonce_a, const std::string& nonce_c,
                         const std::vector<Address>& instances, const Address& target, bool bulk) {
  rpc::LinkHello hello;
  hello.set_bulk(bulk);
  for (const auto& a : instances) *hello.add_instances() = a;
  *hello.mutable_target() = target;
  hello.set_nonce(nonce_c);
  hello.set_mac(TranscriptMac(secret, kHelloLabel, nonce_a, hello));
  return hello;
}

bool VerifyHello(const std::string& secret, const std::string& nonce_a, const rpc::LinkHello& hello) {
  return hello.nonce().size() == kNonceBytes &&
         SameMac(hello.mac(), TranscriptMac(secret, kHelloLabel, nonce_a, hello));
}

rpc::LinkWelcome MakeWelcome(const std::string& secret, const std::string& nonce_a, const rpc::LinkHello& hello) {
  rpc::LinkWelcome welcome;
  welcome.set_mac(TranscriptMac(secret, kWelcomeLabel, nonce_a, hello));
  return welcome;
}

bool VerifyWelcome(const std::string& secret, const std::string& nonce_a, const rpc::LinkHello& hello,
                   const rpc::LinkWelcome& welcome) {
  return SameMac(welcome.mac(), TranscriptMac(secret, kWelcomeLabel, nonce_a, hello));
}

}  // namespace msgbed::live
