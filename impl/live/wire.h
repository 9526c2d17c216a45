// The envelope between processes: an Envelope encoded as rpc.Wire, its body
// named by its full type name. Any message type linked into the process
// (every role's, a test's own) decodes without being listed anywhere.
#pragma once

#include <string>
#include <string_view>

#include "core/envelope.h"

namespace msgbed::live {

std::string EncodeWire(const Envelope& e);
// False (with *error set) for bytes that are not a Wire, or a body of a
// type this process does not know or that does not parse.
bool DecodeWire(std::string_view bytes, Envelope* e, std::string* error);

}  // namespace msgbed::live
