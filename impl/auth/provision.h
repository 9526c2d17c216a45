// Provision: what a finished sign-up leaves in the auth stores, written
// directly, for worlds that start with accounts already signed in (the
// simulator's users, the unit tests' devices). Live deployments never use
// it: their accounts come from sign-ups.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "core/cluster.h"
#include "core/kv_store.h"
#include "core/time.h"
#include "proto/client_api.pb.h"

namespace msgbed {

// The phone number of provisioned user u: "999" and u in 10 digits
// (REQUIRES: u < 10^10).
std::string ProvisionedPhone(uint64_t user);

// Gives user (its account created on first use, with ProvisionedPhone and,
// if `password` is not empty, that cloud password at the minimum hashing
// cost) the session `device` with credential secret `secret` (32 bytes)
// and push device token `push_token` (empty: none),
// written into the stores of the auth instances that own them (store_of).
// Returns the Authorization a device keeps, or sets *status.
api::Authorization ProvisionSession(const std::function<KvStore&(const Address&)>& store_of, const ClusterShape& shape,
                                    uint64_t user, uint64_t device, const std::string& secret, Micros date,
                                    Status* status, const std::string& password = "",
                                    const std::string& push_token = "");

// Creates bot account `bot` (username as msgbed bot create takes it, a
// token whose secret part is `secret`: [A-Za-z0-9_-]) in the stores of the
// auth instances that own it and its username, as auth.CreateBot leaves
// it. Returns the bot's token, "<bot>:<secret>", or sets *status.
std::string ProvisionBot(const std::function<KvStore&(const Address&)>& store_of, const ClusterShape& shape,
                         uint64_t bot, const std::string& username, const std::string& secret, Micros date,
                         Status* status);

}  // namespace msgbed
