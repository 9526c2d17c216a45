// BenchError: what bot_api_bench's parts throw when the run cannot go on (a
// failed setup step, a server that does not start, a request not answered
// or answered wrongly, an unexpected update). main reports it and exits 1.
#pragma once

#include <stdexcept>

namespace msgbed::live {

struct BenchError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace msgbed::live
