#include <iostream>

#include "commands.h"

namespace msgbed::cli {

int Client(const ClientOptions&) {
  std::cerr << "msgbed client: the live runtime is not built yet\n";
  return 1;
}

}  // namespace msgbed::cli
