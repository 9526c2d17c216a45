// The terminal client behind `msgbed client`: one device of one user,
// chatting through a gateway. Reads commands from stdin:
//   @<user> <text>   send text to user
//   /quit            leave
// and prints what arrives.
#pragma once

#include <cstdint>
#include <string>

namespace msgbed::live {

// Returns the process exit code (0 after /quit or end of input).
int RunTerminalClient(const std::string& host, uint16_t port, uint64_t user, uint64_t device);

}  // namespace msgbed::live
