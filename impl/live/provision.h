// Provisioning a stopped live deployment: accounts and sessions written
// straight into its auth instances' stores, as finished sign-ups would have
// left them (auth/provision.h). For load tests and integration tests that
// need many known users without an SMS round each. A running deployment
// holds its RocksDB stores' locks, so this refuses to touch it; PostgreSQL
// tables have no such lock: stop the deployment first.
#pragma once

#include <map>
#include <utility>
#include <vector>

#include "core/status.h"
#include "live/config.h"
#include "proto/client_api.pb.h"

namespace msgbed::live {

using SessionKey = std::pair<uint64_t, uint64_t>;  // (user, device)

// Gives each (user, device) a session with a fresh random credential;
// *out maps each to the Authorization its device keeps.
Status ProvisionSessions(const LiveConfig& config, const std::vector<SessionKey>& sessions,
                         std::map<SessionKey, api::Authorization>* out);

}  // namespace msgbed::live
