#include "gateway/gateway_role.h"

#include <cmath>

#include "gateway/gateway_service.h"

namespace msgbed {

namespace {

Micros Seconds(double s) { return static_cast<Micros>(std::llround(s * kSecond)); }

}  // namespace

RoleSpec GatewayRole() {
  using K = SettingSpec::Kind;
  const GatewayLimits d;
  RoleSpec spec;
  spec.name = role::kGateway;
  spec.required = true;
  spec.summary = "the connection layer: device connections, sign-in, routing of requests, pushes";
  spec.has_clients = true;
  spec.serves = {{gateway::Push::descriptor(), 10e-6},
                 {gateway::CloseConnection::descriptor(), 10e-6},
                 {gateway::CloseSession::descriptor(), 10e-6},
                 // It walks every connection of the gateway: rare (a rebalance), not cheap.
                 {sync::PresenceQuery::descriptor(), 500e-6},
                 {sync::Behind::descriptor(), 5e-6}};
  spec.other_costs = {{"reply", 10e-6}, {"client_frame", 20e-6}};
  spec.uses_bus = true;  // devices coming online and going offline
  spec.topics = {kUpdatesTopic};
  spec.settings = {
      {"sign_in_timeout", K::kDuration, double(d.sign_in_timeout) / kSecond,
       "a connection must ask to sign in by then"},
      {"idle_timeout", K::kDurationOrZero, double(d.idle_timeout) / kSecond,
       "a signed-in connection silent this long is closed (0: never)"},
      {"request_timeout", K::kDuration, double(d.request_timeout) / kSecond, "unanswered requests get TIMEOUT"},
      {"max_connections", K::kCount, double(d.max_connections), "connections per gateway"},
      {"max_in_flight", K::kCount, double(d.max_in_flight), "requests awaiting an answer per connection"},
      {"request_rate", K::kCount, double(d.request_rate), "requests per second per connection (then FLOOD_WAIT)"},
      {"request_burst", K::kCount, double(d.request_burst), "requests a connection may make at once"},
      {"max_connections_per_source", K::kCount, double(d.max_connections_per_source),
       "connections from one address (then UNAVAILABLE)"},
      {"source_request_rate", K::kCount, double(d.source_request_rate),
       "requests per second from one address, all its connections together"},
      {"source_request_burst", K::kCount, double(d.source_request_burst), "requests one address may make at once"},
      {"shed_behind", K::kDurationOrZero, double(d.shed_behind) / kSecond,
       "new messages to users whose updates reach sync this late get FLOOD_WAIT (0: never)"}};
  spec.make = [](Env* env, const ClusterShape& shape, const RoleSettings& settings) {
    const RoleSpec& self = RoleRegistry::Global().Get(role::kGateway);
    GatewayLimits limits;
    limits.sign_in_timeout = Seconds(SettingOr(self, settings, "sign_in_timeout"));
    limits.idle_timeout = Seconds(SettingOr(self, settings, "idle_timeout"));
    limits.request_timeout = Seconds(SettingOr(self, settings, "request_timeout"));
    limits.max_connections = static_cast<uint32_t>(SettingOr(self, settings, "max_connections"));
    limits.max_in_flight = static_cast<uint32_t>(SettingOr(self, settings, "max_in_flight"));
    limits.request_rate = static_cast<uint32_t>(SettingOr(self, settings, "request_rate"));
    limits.request_burst = static_cast<uint32_t>(SettingOr(self, settings, "request_burst"));
    limits.max_connections_per_source = static_cast<uint32_t>(SettingOr(self, settings, "max_connections_per_source"));
    limits.source_request_rate = static_cast<uint32_t>(SettingOr(self, settings, "source_request_rate"));
    limits.source_request_burst = static_cast<uint32_t>(SettingOr(self, settings, "source_request_burst"));
    limits.shed_behind = Seconds(SettingOr(self, settings, "shed_behind"));
    return std::make_unique<GatewayService>(env, shape, limits);
  };
  return spec;
}

}  // namespace msgbed
