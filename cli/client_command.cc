#include <boost/asio/ip/address.hpp>
#include <iostream>

#include "auth/phone.h"
#include "commands.h"
#include "live/config.h"
#include "live/terminal_client.h"
#include "live/tls.h"

namespace msgbed::cli {

int Client(const ClientOptions& opts) {
  live::Endpoint ep;
  if (!live::ParseEndpoint(opts.connect, &ep) || ep.port == 0) {
    std::cerr << "msgbed client: --connect: expected host:port, got '" << opts.connect << "'\n";
    return 2;
  }
  // A session credential goes in clear text over plain TCP: only to this
  // machine, unless the user says so.
  boost::system::error_code not_ip;
  const auto address = boost::asio::ip::make_address(ep.host, not_ip);
  const bool local = ep.host == "localhost" || (!not_ip && address.is_loopback());
  if (opts.ca.empty() && !local && !opts.insecure) {
    std::cerr << "msgbed client: " << ep.host << " is not this machine: give --ca <the deployment's CA.pem> for TLS, "
              << "or --insecure to send your session and messages in clear text\n";
    return 2;
  }
  live::ClientIdentity who{opts.session, opts.phone, opts.ca};
  if (!opts.phone.empty() && NormalizePhone(opts.phone).empty()) {
    std::cerr << "msgbed client: --phone: expected a number in international format, like +44 7700 900123\n";
    return 2;
  }
  if (who.session_file.empty() && opts.phone.empty()) {
    std::cerr << "msgbed client: give --phone (to sign in) or --session (a kept session)\n";
    return 2;
  }
  if (who.session_file.empty()) who.session_file = "msgbed-" + NormalizePhone(opts.phone) + ".session";
  return live::RunTerminalClient(ep.host, ep.port, who);
}

int TlsInit(const TlsInitOptions& opts) {
  if (opts.days < 1 || opts.days > 3650) {
    std::cerr << "msgbed tls init: --days: expected 1 to 3650\n";
    return 2;
  }
  for (const std::string& h : opts.hosts) {
    if (std::string why = live::BadHostName(h); !why.empty()) {
      std::cerr << "msgbed tls init: --host: " << why << "\n";
      return 2;
    }
  }
  if (Status s = live::WriteDevCertificates(opts.dir, opts.hosts, opts.days, 0, opts.force); !s.ok()) {
    std::cerr << "msgbed tls init: " << s.message() << "\n";
    return 1;
  }
  std::cout << "wrote " << opts.dir << "/ca.pem, ca.key, server.pem, server.key (development only: the CA key is "
            << "beside them)\nin the deployment config:  clients: {tls: {cert: " << opts.dir
            << "/server.pem, key: " << opts.dir << "/server.key}}\nin the client:             msgbed client --ca "
            << opts.dir << "/ca.pem ...\n";
  return 0;
}

}  // namespace msgbed::cli
