// An Envelope as bytes (rpc.Wire): between processes, and as a bus
// record's payload. Its body is named by its full type name. Any message type linked into the process
// (every role's, a test's own) decodes without being listed anywhere.
#pragma once

#include <string>
#include <string_view>

#include "core/envelope.h"

namespace msgbed {

std::string EncodeWire(const Envelope& e);
// EncodeWire(e).size(), without encoding.
size_t WireSize(const Envelope& e);
// False (with *error set) for bytes that are not a Wire, or a body of a
// type this process does not know or that does not parse.
bool DecodeWire(std::string_view bytes, Envelope* e, std::string* error);
// The full type name of the body an encoded Wire carries, without decoding
// it; "" if there is none or bytes are not a Wire.
std::string WireType(std::string_view bytes);

}  // namespace msgbed
