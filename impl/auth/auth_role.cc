#include "auth/auth_role.h"

#include <cmath>

#include "auth/auth_service.h"

namespace msgbed {

namespace {

// CPU of one Argon2id hash at the default cost (2 passes over 64 MiB) on
// the reference core; bench/core_bench.cc measures it (docs/benchmarks.md).
constexpr double kPasswordHashSeconds = 0.15;

Micros Seconds(double s) { return static_cast<Micros>(std::llround(s * kSecond)); }

}  // namespace

RoleSpec AuthRole() {
  using K = SettingSpec::Kind;
  const AuthLimits d;
  RoleSpec spec;
  spec.name = role::kAuth;
  spec.required = true;
  spec.summary = "auth & sessions: SMS codes, sign-in and sign-up, sessions per device, cloud passwords";
  spec.serves = {{auth::SendCode::descriptor(), 30e-6},
                 {auth::SignIn::descriptor(), 30e-6},
                 {auth::OpenSession::descriptor(), 40e-6},
                 {auth::CheckPassword::descriptor(), kPasswordHashSeconds},
                 {auth::Resume::descriptor(), 20e-6},
                 {auth::GetAuthorizations::descriptor(), 30e-6},
                 {auth::ResetAuthorization::descriptor(), 30e-6},
                 {auth::GetPassword::descriptor(), 10e-6},
                 {auth::UpdatePassword::descriptor(), kPasswordHashSeconds},
                 {auth::RegisterDevice::descriptor(), 20e-6},
                 {auth::Notify::descriptor(), 20e-6},
                 {auth::RequestRecovery::descriptor(), 30e-6},
                 {auth::RecoverPassword::descriptor(), 30e-6},
                 {auth::CreateBot::descriptor(), 30e-6},
                 {auth::OpenBot::descriptor(), 40e-6},
                 {auth::RevokeBotToken::descriptor(), 30e-6},
                 {auth::FindBot::descriptor(), 10e-6},
                 {auth::CheckBotToken::descriptor(), 15e-6},
                 {auth::GetProfiles::descriptor(), 20e-6}};
  spec.other_costs = {{"reply", 10e-6}};
  spec.settings = {
      {"code_ttl", K::kDuration, double(d.code_ttl) / kSecond, "a code works this long"},
      {"code_attempts", K::kCount, double(d.code_attempts), "wrong tries before a code is void"},
      {"codes_per_hour", K::kCount, double(d.phone.codes), "codes one number may ask for per hour (then FLOOD_WAIT)"},
      {"failures_per_hour", K::kCount, double(d.phone.failures), "wrong codes per number per hour (then FLOOD_WAIT)"},
      {"source_codes_per_hour", K::kCount, double(d.source.codes), "codes one address may ask for per hour"},
      {"source_failures_per_hour", K::kCount, double(d.source.failures), "wrong codes per address per hour"},
      {"flood_wait", K::kDuration, double(d.phone.first_wait) / kSecond,
       "the first FLOOD_WAIT; it doubles with each one after (up to a day)"},
      {"password_attempts", K::kCount, double(d.password_attempts), "wrong passwords in a row before FLOOD_WAIT"},
      {"password_ops", K::kCount, double(d.password_cost.ops), "Argon2id passes of a password hash"},
      {"password_memory", K::kBytes, double(d.password_cost.memory), "Argon2id memory of a password hash"},
      {"sms_attempts", K::kCount, double(d.sms.attempts_per_provider), "tries per SMS provider before the next one"},
      {"sms_backoff", K::kDuration, double(d.sms.first_backoff) / kSecond,
       "wait before trying a provider again (doubles); both also apply to email"},
      {"recovery_ttl", K::kDuration, double(d.recovery_ttl) / kSecond,
       "an emailed password recovery code works this long"},
      {"recovery_attempts", K::kCount, double(d.recovery_attempts), "wrong tries before a recovery code is void"},
      {"send_code_wait", K::kDuration, double(d.send_code_wait) / kSecond,
       "SendCode is answered by then even if the SMS providers are still trying (keep it under "
       "gateway.request_timeout)"}};
  // A simulated run does not spend real time on Argon2id: it hashes at the
  // minimum cost and charges auth.CheckPassword / auth.UpdatePassword instead.
  spec.simulated_defaults = {{"password_ops", double(MinPasswordOps())},
                             {"password_memory", double(MinPasswordMemory())}};
  spec.make = [](Env* env, const ClusterShape& shape, const RoleSettings& settings) {
    const RoleSpec& self = RoleRegistry::Global().Get(role::kAuth);
    auto get = [&](const char* key) { return SettingOr(self, settings, key); };
    AuthLimits limits;
    limits.code_ttl = Seconds(get("code_ttl"));
    limits.code_attempts = static_cast<uint32_t>(get("code_attempts"));
    limits.phone.codes = static_cast<uint32_t>(get("codes_per_hour"));
    limits.phone.failures = static_cast<uint32_t>(get("failures_per_hour"));
    limits.source.codes = static_cast<uint32_t>(get("source_codes_per_hour"));
    limits.source.failures = static_cast<uint32_t>(get("source_failures_per_hour"));
    limits.phone.first_wait = limits.source.first_wait = Seconds(get("flood_wait"));
    limits.password_attempts = static_cast<uint32_t>(get("password_attempts"));
    limits.password_cost = {static_cast<uint64_t>(get("password_ops")), static_cast<uint64_t>(get("password_memory"))};
    limits.sms.attempts_per_provider = static_cast<uint32_t>(get("sms_attempts"));
    limits.sms.first_backoff = Seconds(get("sms_backoff"));
    limits.email = limits.sms;
    limits.recovery_ttl = Seconds(get("recovery_ttl"));
    limits.recovery_attempts = static_cast<uint32_t>(get("recovery_attempts"));
    limits.send_code_wait = Seconds(get("send_code_wait"));
    return std::make_unique<AuthService>(env, shape, limits);
  };
  return spec;
}

}  // namespace msgbed
