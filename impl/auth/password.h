// Cloud passwords (two-step verification), stored as Argon2id under a
// per-user random salt: the store holds nothing that checks a guess
// cheaply. The cost (ops, memory) is a role setting; a simulated run
// computes it at libsodium's minimum and charges the configured cost as
// CPU from the cost table instead (docs/auth.md).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "proto/auth.pb.h"

namespace msgbed {

struct PasswordCost {
  uint64_t ops = 2;            // Argon2id passes (libsodium's "interactive")
  uint64_t memory = 64 << 20;  // bytes
};

// The hash of password under salt (16 bytes). False if libsodium refused
// (out of memory, or a cost outside its limits).
bool HashPassword(std::string_view password, const std::string& salt, PasswordCost cost, auth::PasswordHash* out);
// Whether password matches stored, in time that does not depend on how
// much of it matches.
bool CheckPassword(std::string_view password, const auth::PasswordHash& stored);

// libsodium's bounds for a PasswordCost.
uint64_t MinPasswordOps();
uint64_t MinPasswordMemory();

}  // namespace msgbed
