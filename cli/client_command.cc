#include <iostream>

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
  return live::RunTerminalClient(ep.host, ep.port, opts.user, opts.device);
}

}  // namespace msgbed::cli
