#include <iostream>

#include "auth/phone.h"
#include "commands.h"
#include "live/config.h"
#include "live/terminal_client.h"

namespace msgbed::cli {

int Client(const ClientOptions& opts) {
  live::Endpoint ep;
  if (!live::ParseEndpoint(opts.connect, &ep) || ep.port == 0) {
    std::cerr << "msgbed client: --connect: expected host:port, got '" << opts.connect << "'\n";
    return 2;
  }
  live::ClientIdentity who{opts.session, opts.phone};
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

}  // namespace msgbed::cli
