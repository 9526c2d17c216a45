// TLS for client connections (docs/deploy.md, "TLS"): TLS 1.3 only, through
// OpenSSL under Asio. A gateway with `clients.tls` set serves TLS on its
// client port; a client trusts the CA file it is given and checks the
// server's name against the certificate. Plain TCP stays for development
// and the simulator, and says so in the gateway's log.
#pragma once

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "live/tls_files.h"

namespace msgbed::live {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using TlsStream = ssl::stream<tcp::socket>;

// A server context: an error naming the file if one is missing or
// unreadable, or if the key is not the certificate's.
Status ServerTlsContext(const TlsFiles& files, std::shared_ptr<ssl::context>* out);
// Mutual TLS for service links: the accepting side's context (requires a
// client certificate ca signed) and the connecting side's (presents cert,
// trusts ca only). Errors name the file, as ServerTlsContext's.
Status LinkTlsContexts(const LinkTlsFiles& files, std::shared_ptr<ssl::context>* accepting,
                       std::shared_ptr<ssl::context>* connecting);

// What makes a server's certificate unusable although it loads: expired,
// not valid yet, a CA's. The gateway logs each at start.
std::vector<std::string> CertificateWarnings(ssl::context& context);
// A client context that trusts only the certificates in ca_file.
Status ClientTlsContext(const std::string& ca_file, std::shared_ptr<ssl::context>* out);

// Why a handshake failed, in words a user can act on.
std::string HandshakeError(const boost::system::error_code& ec);

// The server's side of a TLS connection: handshakes on socket within
// timeout; then ready(stream), or failed(why).
void AcceptTls(tcp::socket socket, ssl::context& context, std::chrono::milliseconds timeout,
               std::function<void(std::unique_ptr<TlsStream>)> ready, std::function<void(std::string)> failed);
// The client's side: handshakes with the server named host (checked
// against its certificate); then ready(stream), or failed(why).
void ConnectTls(tcp::socket socket, ssl::context& context, const std::string& host,
                std::function<void(std::unique_ptr<TlsStream>)> ready, std::function<void(std::string)> failed);

// A development CA and a server certificate it signed, for hosts (DNS
// names or IP addresses), written to dir as ca.pem, ca.key, server.pem and
// server.key (keys mode 0600; new files only, no symbolic links followed,
// unless overwrite). Valid from `from_days` (0: now; negative: in the
// past) for `days`. Not for production: the CA key sits beside.
Status WriteDevCertificates(const std::string& dir, const std::vector<std::string>& hosts, int days, int from_days = 0,
                            bool overwrite = false);
// Why host cannot be a certificate's name ("" if it can): an IP address,
// or a DNS name of letters, digits, '-' and '.'.
std::string BadHostName(const std::string& host);

}  // namespace msgbed::live
