#include "live/provision.h"

#include <sodium.h>

#include <chrono>
#include <memory>

#include "auth/credential.h"
#include "auth/provision.h"
#include "live/instance_store.h"

namespace msgbed::live {

Status ProvisionSessions(const LiveConfig& config, const std::vector<SessionKey>& sessions,
                         std::map<SessionKey, api::Authorization>* out) {
  if (sodium_init() < 0) return Status::IoError("libsodium failed to start");
  const ClusterShape shape = config.Shape();
  std::vector<std::unique_ptr<KvStore>> stores(shape.Count(role::kAuth));
  for (uint32_t i = 0; i < stores.size(); ++i) {
    if (Status s = OpenInstanceStore(config, role::kAuth, i, &stores[i]); !s.ok()) return s;
  }
  auto store_of = [&](const Address& a) -> KvStore& { return *stores.at(a.index()); };
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  const Micros date = std::chrono::duration_cast<std::chrono::microseconds>(now).count();
  for (const auto& [user, device] : sessions) {
    std::string secret(Credential::kSecretBytes, '\0');
    randombytes_buf(secret.data(), secret.size());
    Status s;
    api::Authorization session = ProvisionSession(store_of, shape, user, device, secret, date, &s);
    if (!s.ok()) return s;
    (*out)[{user, device}] = std::move(session);
  }
  return Status::Ok();
}

}  // namespace msgbed::live
