// ClientTransport: what the live process holds for an instance whose role
// has clients: a ClientPort for its core that also listens. Two exist,
// chosen by RoleSpec::client_protocol: ClientServer (length-prefixed api
// frames, the gateway's devices) and HttpClientServer (HTTP/1.1, the Bot
// API). Destroying one closes its connections without telling the core
// (the instance crashed or stopped).
#pragma once

#include <cstdint>

#include "core/env.h"
#include "core/status.h"
#include "live/config.h"

namespace msgbed::live {

class ClientTransport : public ClientPort {
 public:
  // Binds ep and starts accepting; *port is the bound port.
  virtual Status Listen(const Endpoint& ep, uint16_t* port) = 0;
  // Failed accepts so far, each retried (thread-safe).
  virtual uint64_t accept_errors() const = 0;
};

}  // namespace msgbed::live
