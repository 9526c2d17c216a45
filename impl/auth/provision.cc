#include "auth/provision.h"

#include <algorithm>

#include "auth/auth_service.h"
#include "auth/credential.h"
#include "auth/password.h"
#include "auth/placement.h"

namespace msgbed {

std::string ProvisionedPhone(uint64_t user) {
  std::string digits = std::to_string(user);
  return "999" + std::string(digits.size() < 10 ? 10 - digits.size() : 0, '0') + digits;
}

api::Authorization ProvisionSession(const std::function<KvStore&(const Address&)>& store_of, const ClusterShape& shape,
                                    uint64_t user, uint64_t device, const std::string& secret, Micros date,
                                    Status* status, const std::string& password, const std::string& push_token) {
  const std::string phone = ProvisionedPhone(user);
  KvStore& accounts = store_of(AuthOfUser(shape, user));
  auth::UserRecord account;
  const auto stored = accounts.Get(UserKey(user), status);
  if (!status->ok()) return {};
  WriteBatch batch;
  if (stored) {
    account.ParseFromString(*stored);
  } else {
    account.set_phone(phone);
    account.set_first_name("user " + std::to_string(user));
    account.set_created_us(date);
    // The salt comes from the secret: a provisioned world is reproducible.
    const PasswordCost cheapest{MinPasswordOps(), MinPasswordMemory()};
    if (!password.empty() &&
        !HashPassword(password, SecretHash(secret).substr(0, 16), cheapest, account.mutable_password())) {
      *status = Status::Invalid("cannot hash the password");
      return {};
    }
    auth::PhoneRecord number;
    number.set_user(user);
    WriteBatch phone_batch;
    phone_batch.Put(PhoneKey(phone), number.SerializeAsString());
    if (*status = store_of(AuthOfPhone(shape, phone)).Write(phone_batch); !status->ok()) return {};
  }
  account.set_next_device(std::max(account.next_device(), device + 1));
  auth::SessionRecord session;
  session.set_secret_hash(SecretHash(secret));
  session.set_created_us(date);
  session.set_active_us(date);
  session.set_push_token(push_token);
  batch.Put(UserKey(user), account.SerializeAsString());
  batch.Put(SessionKey(user, device), session.SerializeAsString());
  if (*status = accounts.Write(batch); !status->ok()) return {};
  api::Authorization out;
  out.set_user_id(user);
  out.set_device_id(device);
  out.set_credential(Credential{user, device, secret}.Encode());
  return out;
}

std::string ProvisionBot(const std::function<KvStore&(const Address&)>& store_of, const ClusterShape& shape,
                         uint64_t bot, const std::string& username, const std::string& secret, Micros date,
                         Status* status) {
  auth::UserRecord account;
  account.set_bot(true);
  account.set_username(username);
  account.set_first_name(username);
  account.set_created_us(date);
  account.set_bot_secret_hash(SecretHash(secret));
  account.set_bot_token_generation(1);
  auth::UsernameRecord name;
  name.set_user(bot);
  WriteBatch names;
  names.Put(UsernameKey(username), name.SerializeAsString());
  if (*status = store_of(AuthOfUsername(shape, username)).Write(names); !status->ok()) return "";
  WriteBatch accounts;
  accounts.Put(UserKey(bot), account.SerializeAsString());
  if (*status = store_of(AuthOfUser(shape, bot)).Write(accounts); !status->ok()) return "";
  return std::to_string(bot) + ":" + secret;
}

}  // namespace msgbed
