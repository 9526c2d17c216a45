#include "auth/password.h"

#include <sodium.h>

#include "auth/credential.h"

namespace msgbed {

namespace {

bool Derive(std::string_view password, const std::string& salt, uint64_t ops, uint64_t memory, std::string* out) {
  if (salt.size() != crypto_pwhash_SALTBYTES || sodium_init() < 0) return false;
  out->assign(32, '\0');
  return crypto_pwhash(reinterpret_cast<unsigned char*>(out->data()), out->size(), password.data(), password.size(),
                       reinterpret_cast<const unsigned char*>(salt.data()), ops, memory,
                       crypto_pwhash_ALG_ARGON2ID13) == 0;
}

}  // namespace

bool HashPassword(std::string_view password, const std::string& salt, PasswordCost cost, auth::PasswordHash* out) {
  std::string hash;
  if (!Derive(password, salt, cost.ops, cost.memory, &hash)) return false;
  out->set_salt(salt);
  out->set_hash(hash);
  out->set_ops(cost.ops);
  out->set_mem(cost.memory);
  return true;
}

bool CheckPassword(std::string_view password, const auth::PasswordHash& stored) {
  std::string hash;
  return Derive(password, stored.salt(), stored.ops(), stored.mem(), &hash) && ConstantTimeEqual(hash, stored.hash());
}

uint64_t MinPasswordOps() { return crypto_pwhash_OPSLIMIT_MIN; }
uint64_t MinPasswordMemory() { return crypto_pwhash_MEMLIMIT_MIN; }

}  // namespace msgbed
