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
  if (Status s = live::WriteDevCertificates(opts.dir, opts.hosts, opts.days); !s.ok()) {
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
