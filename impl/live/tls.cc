#include "live/tls.h"

#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace msgbed::live {
namespace {

std::string OpenSslError() {
  const unsigned long e = ERR_get_error();
  if (e == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  return buf;
}

std::shared_ptr<ssl::context> Tls13(ssl::context::method method) {
  auto ctx = std::make_shared<ssl::context>(method);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_3_VERSION);
  return ctx;
}

Status Readable(const std::string& key_path, const std::string& what, const std::string& file) {
  if (file.empty()) return Status::Invalid(key_path + ": " + what + " is not set");
  std::ifstream f(file);
  if (!f || std::filesystem::is_directory(file)) {
    return Status::Invalid(key_path + "." + what + ": cannot read " + file + ": " + std::strerror(errno));
  }
  return Status::Ok();
}

Status LoadIdentity(ssl::context& context, const TlsFiles& files, const std::string& path) {
  if (Status s = Readable(path, "cert", files.cert); !s.ok()) return s;
  if (Status s = Readable(path, "key", files.key); !s.ok()) return s;
  SSL_CTX* native = context.native_handle();
  // A key under a passphrase would prompt on the terminal: refused instead.
  SSL_CTX_set_default_passwd_cb(native, [](char*, int, int, void*) { return 0; });
  if (SSL_CTX_use_certificate_chain_file(native, files.cert.c_str()) != 1) {
    return Status::Invalid(path + ".cert: " + files.cert + " holds no PEM certificate (" + OpenSslError() + ")");
  }
  const Status mismatch =
      Status::Invalid(path + ".key: " + files.key + " is not the private key of the certificate in " + files.cert);
  if (SSL_CTX_use_PrivateKey_file(native, files.key.c_str(), SSL_FILETYPE_PEM) != 1) {
    if (ERR_GET_REASON(ERR_peek_error()) == X509_R_KEY_VALUES_MISMATCH) {
      ERR_clear_error();
      return mismatch;
    }
    const std::string why = OpenSslError();
    if (why.find("processing error") != std::string::npos || why.find("bad decrypt") != std::string::npos) {
      return Status::Invalid(path + ".key: " + files.key +
                             " is encrypted with a passphrase; give the key unencrypted (mode 0600)");
    }
    return Status::Invalid(path + ".key: " + files.key + " holds no PEM private key (" + why + ")");
  }
  if (SSL_CTX_check_private_key(native) != 1) {
    ERR_clear_error();
    return mismatch;
  }
  return Status::Ok();
}

}  // namespace

Status ServerTlsContext(const TlsFiles& files, std::shared_ptr<ssl::context>* out) {
  auto ctx = Tls13(ssl::context::tls_server);
  if (Status s = LoadIdentity(*ctx, files, "clients.tls"); !s.ok()) return s;
  *out = std::move(ctx);
  return Status::Ok();
}

Status LinkTlsContexts(const LinkTlsFiles& files, std::shared_ptr<ssl::context>* accepting,
                       std::shared_ptr<ssl::context>* connecting) {
  const TlsFiles identity{files.cert, files.key};
  for (auto [out, method] : {std::pair{accepting, ssl::context::tls_server}, {connecting, ssl::context::tls_client}}) {
    auto ctx = Tls13(method);
    if (Status s = LoadIdentity(*ctx, identity, "security.tls"); !s.ok()) return s;
    if (SSL_CTX_load_verify_locations(ctx->native_handle(), files.ca.c_str(), nullptr) != 1) {
      return Status::Invalid("security.tls.ca: " + files.ca + " holds no PEM certificate (" + OpenSslError() + ")");
    }
    ctx->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
    *out = std::move(ctx);
  }
  return Status::Ok();
}

std::vector<std::string> CertificateWarnings(ssl::context& context) {
  std::vector<std::string> warnings;
  X509* cert = SSL_CTX_get0_certificate(context.native_handle());
  if (cert == nullptr) return warnings;
  if (X509_cmp_current_time(X509_get0_notAfter(cert)) <= 0) {
    warnings.push_back("the certificate has expired: every client will refuse it");
  } else if (X509_cmp_current_time(X509_get0_notBefore(cert)) >= 0) {
    warnings.push_back("the certificate is not valid yet: every client will refuse it");
  }
  if (X509_check_ca(cert) != 0) {
    warnings.push_back("the certificate is a CA's, not a server's: clients will refuse it (use server.pem)");
  }
  return warnings;
}

Status ClientTlsContext(const std::string& ca_file, std::shared_ptr<ssl::context>* out) {
  std::ifstream f(ca_file);
  if (!f) return Status::Invalid("--ca: cannot read " + ca_file);
  auto ctx = Tls13(ssl::context::tls_client);
  if (SSL_CTX_load_verify_locations(ctx->native_handle(), ca_file.c_str(), nullptr) != 1) {
    return Status::Invalid("--ca: " + ca_file + " holds no PEM certificate (" + OpenSslError() + ")");
  }
  ctx->set_verify_mode(ssl::verify_peer);
  *out = std::move(ctx);
  return Status::Ok();
}

std::string HandshakeError(const boost::system::error_code& ec) {
  std::string why = ec.message();
  if (ec.category() == asio::error::get_ssl_category()) {
    const int reason = ERR_GET_REASON(static_cast<unsigned long>(ec.value()));
    if (reason == SSL_R_CERTIFICATE_VERIFY_FAILED) {
      why = "the certificate was refused (not signed by the trusted CA, expired, or for another name)";
    } else if (reason == SSL_R_WRONG_VERSION_NUMBER || reason == SSL_R_HTTP_REQUEST) {
      why = "the other side does not speak TLS (a plain TCP peer?)";
    } else if (reason == SSL_R_UNSUPPORTED_PROTOCOL) {
      why = "the other side does not offer TLS 1.3";
    }
  } else if (ec == asio::error::eof || ec == asio::error::connection_reset || ec == ssl::error::stream_truncated) {
    why = "the other side closed the connection during the TLS handshake (is it a TLS port? is the CA right?)";
  }
  return why + " [" + ec.message() + "]";
}

void AcceptTls(tcp::socket socket, ssl::context& context, std::chrono::milliseconds timeout,
               std::function<void(std::unique_ptr<TlsStream>)> ready, std::function<void(std::string)> failed) {
  auto stream = std::make_shared<std::unique_ptr<TlsStream>>(std::make_unique<TlsStream>(std::move(socket), context));
  auto timer = std::make_shared<asio::steady_timer>((*stream)->get_executor(), timeout);
  auto timed_out = std::make_shared<bool>(false);
  timer->async_wait([stream, timed_out](boost::system::error_code ec) {
    if (ec || !*stream) return;
    *timed_out = true;  // a peer that never finishes the handshake
    (*stream)->next_layer().close(ec);
  });
  (*stream)->async_handshake(ssl::stream_base::server, [stream, timer, timed_out, timeout, ready = std::move(ready),
                                                        failed = std::move(failed)](boost::system::error_code ec) {
    timer->cancel();
    if (*timed_out) {
      return failed("no TLS handshake within " + std::to_string(timeout.count()) + " ms (clients.frame_timeout)");
    }
    if (ec) return failed(HandshakeError(ec));
    ready(std::move(*stream));
  });
}

void ConnectTls(tcp::socket socket, ssl::context& context, const std::string& host,
                std::function<void(std::unique_ptr<TlsStream>)> ready, std::function<void(std::string)> failed) {
  auto stream = std::make_shared<std::unique_ptr<TlsStream>>(std::make_unique<TlsStream>(std::move(socket), context));
  SSL_set_tlsext_host_name((*stream)->native_handle(), host.c_str());
  // OpenSSL's own check of the name (an IP address against the
  // certificate's IP entries), which says "hostname mismatch" when it fails.
  X509_VERIFY_PARAM* param = SSL_get0_param((*stream)->native_handle());
  boost::system::error_code not_ip;
  asio::ip::make_address(host, not_ip);
  if (not_ip) {
    X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0);
  } else {
    X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
  }
  (*stream)->async_handshake(ssl::stream_base::client, [stream, ready = std::move(ready),
                                                        failed = std::move(failed)](boost::system::error_code ec) {
    if (!ec) return ready(std::move(*stream));
    // What the check of the certificate found, in OpenSSL's words ("certificate has expired").
    if (const long v = SSL_get_verify_result((*stream)->native_handle()); v != X509_V_OK) {
      return failed("the server's certificate was refused: " + std::string(X509_verify_cert_error_string(v)) +
                    " (is the CA file the deployment's?)");
    }
    failed(HandshakeError(ec));
  });
}

namespace {

using Key = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using Cert = std::unique_ptr<X509, decltype(&X509_free)>;

Key NewKey() { return Key(EVP_EC_gen("P-256"), &EVP_PKEY_free); }

void SetName(X509_NAME* name, const std::string& cn) {
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("msgbed development"), -1,
                             -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
}

bool AddExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (ext == nullptr) return false;
  const bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

// A certificate for key, signed by issuer_key (issuer: nullptr for self-signed).
Cert NewCert(EVP_PKEY* key, const std::string& cn, X509* issuer, EVP_PKEY* issuer_key, long serial, int from_days,
             int days, const std::vector<std::string>& hosts) {
  Cert cert(X509_new(), &X509_free);
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), static_cast<long>(from_days) * 86400);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(from_days + days) * 86400);
  X509_set_pubkey(cert.get(), key);
  SetName(X509_get_subject_name(cert.get()), cn);
  X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : X509_get_subject_name(cert.get()));
  X509* signer = issuer ? issuer : cert.get();
  bool ok = true;
  if (issuer == nullptr) {
    ok = AddExtension(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE") &&
         AddExtension(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    std::string san;
    for (const std::string& h : hosts) {
      boost::system::error_code ec;
      asio::ip::make_address(h, ec);
      san += (san.empty() ? "" : ",") + std::string(ec ? "DNS:" : "IP:") + h;
    }
    ok = AddExtension(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE") &&
         AddExtension(cert.get(), signer, NID_ext_key_usage, "serverAuth,clientAuth") &&
         (san.empty() || AddExtension(cert.get(), signer, NID_subject_alt_name, san));
  }
  if (!ok || X509_sign(cert.get(), issuer_key, EVP_sha256()) == 0) return Cert(nullptr, &X509_free);
  return cert;
}

Status WritePem(const std::filesystem::path& path, EVP_PKEY* key, X509* cert, bool overwrite) {
  // New files only unless told (a CA already handed out stays valid), and
  // never through a symbolic link; keys owner-only from the first byte.
  const int flags = O_WRONLY | O_CREAT | O_NOFOLLOW | (overwrite ? O_TRUNC : O_EXCL);
  const int fd = ::open(path.c_str(), flags, key ? 0600 : 0644);
  if (fd < 0) {
    const std::string why = errno == EEXIST ? "it exists (give --force to replace it)" : std::strerror(errno);
    return Status::IoError("cannot write " + path.string() + ": " + why);
  }
  if (key) ::fchmod(fd, 0600);
  FILE* f = ::fdopen(fd, "w");
  if (f == nullptr) {
    ::close(fd);
    return Status::IoError("cannot write " + path.string() + ": " + std::strerror(errno));
  }
  const bool ok =
      key ? PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr) == 1 : PEM_write_X509(f, cert) == 1;
  const bool closed = std::fclose(f) == 0;
  return ok && closed ? Status::Ok() : Status::IoError("cannot write " + path.string());
}

}  // namespace

std::string BadHostName(const std::string& host) {
  boost::system::error_code not_ip;
  asio::ip::make_address(host, not_ip);
  if (!not_ip) return "";
  if (host.empty() || host.size() > 253) return "a host name is 1 to 253 characters";
  if (host.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") != std::string::npos ||
      host.front() == '.' || host.front() == '-' || host.find("..") != std::string::npos) {
    return "'" + host + "' is neither an IP address nor a DNS name (letters, digits, '-' and '.')";
  }
  if (host.find_first_not_of("0123456789.") == std::string::npos) return "'" + host + "' is not a valid IP address";
  return "";
}

Status WriteDevCertificates(const std::string& dir, const std::vector<std::string>& hosts, int days, int from_days,
                            bool overwrite) {
  if (hosts.empty()) return Status::Invalid("a server certificate needs at least one host name or address");
  for (const std::string& h : hosts) {
    if (std::string why = BadHostName(h); !why.empty()) return Status::Invalid("--host: " + why);
  }
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::IoError("cannot create " + dir + ": " + ec.message());
  Key ca_key = NewKey(), server_key = NewKey();
  if (!ca_key || !server_key) return Status::IoError("cannot make a key: " + OpenSslError());
  // A name of its own: two development CAs must not pass for each other.
  unsigned char tag[4] = {};
  RAND_bytes(tag, sizeof tag);
  char name[64];
  std::snprintf(name, sizeof name, "msgbed development CA %02x%02x%02x%02x", tag[0], tag[1], tag[2], tag[3]);
  Cert ca = NewCert(ca_key.get(), name, nullptr, ca_key.get(), 1, from_days, days, {});
  Cert server = ca ? NewCert(server_key.get(), hosts[0], ca.get(), ca_key.get(), 2, from_days, days, hosts)
                   : Cert(nullptr, &X509_free);
  if (!ca || !server) return Status::IoError("cannot make a certificate: " + OpenSslError());
  const std::filesystem::path d(dir);
  if (!overwrite) {
    for (const char* name : {"ca.pem", "ca.key", "server.pem", "server.key"}) {
      if (std::filesystem::symlink_status(d / name, ec).type() != std::filesystem::file_type::not_found) {
        return Status::IoError("cannot write " + (d / name).string() + ": it exists (give --force to replace it)");
      }
    }
  }
  if (Status s = WritePem(d / "ca.pem", nullptr, ca.get(), overwrite); !s.ok()) return s;
  if (Status s = WritePem(d / "ca.key", ca_key.get(), nullptr, overwrite); !s.ok()) return s;
  if (Status s = WritePem(d / "server.pem", nullptr, server.get(), overwrite); !s.ok()) return s;
  if (Status s = WritePem(d / "server.key", server_key.get(), nullptr, overwrite); !s.ok()) return s;
  return Status::Ok();
}

}  // namespace msgbed::live
