// One-time codes sent to people (SMS sign-in codes, emailed recovery
// codes), and what is shown of where they went.
#pragma once

#include <cstdint>
#include <string>

#include "core/env.h"

namespace msgbed {

// A uniform code of `digits` decimal digits (at most 9) from the
// instance's secret bytes.
std::string NewCode(Env& env, uint32_t digits);

// Whether two codes are equal, in time independent of where they differ.
bool SameCode(const std::string& a, const std::string& b);

// An email address partly hidden, as Telegram shows it: "a***@e***.com".
std::string EmailPattern(const std::string& email);

// A plausible email address: UTF-8, one '@' with something on either side,
// a dot in the domain, no spaces or control characters, at most 256 bytes.
bool ValidEmail(const std::string& email);

}  // namespace msgbed
