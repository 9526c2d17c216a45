#include <iostream>

#include "commands.h"

namespace msgbed::cli {

int Serve(const ServeOptions&) {
  std::cerr << "msgbed serve: the live runtime is not built yet\n";
  return 1;
}

}  // namespace msgbed::cli
