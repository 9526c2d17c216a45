// The role registry: what a role is, to every runtime, in one registration.
// The live process, the simulator, the scenario and config readers, the
// deployment-diagram reader and the result summary all read it, so adding
// a role is a RoleSpec in the role's folder and one Add() — nothing else.
//
// Built-in roles (gateway, messages, sync, auth) are registered by Global() on
// first use; tests may Add() their own before building a deployment.
#pragma once

#include <google/protobuf/descriptor.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/cluster.h"
#include "core/service.h"

namespace msgbed {

// A role's settings as a deployment gives them: key -> value (durations in
// seconds, sizes in bytes, counts as they are). Unset keys are absent.
using RoleSettings = std::map<std::string, double>;

// One setting a role accepts in a deployment config or scenario (a section
// named after the role).
struct SettingSpec {
  enum class Kind { kDuration, kDurationOrZero, kCount, kBytes, kFlag /* 0 or 1 */ };
  std::string key;
  Kind kind;
  double default_value;
  std::string help;
  // The largest value accepted, if the kind's own bound (1 day, 10^7,
  // 1 GiB) does not suit; 0: the kind's.
  double max = 0;
  std::string max_text = "";
};

struct RoleSpec {
  using Factory = std::function<std::unique_ptr<Service>(Env*, const ClusterShape&, const RoleSettings&)>;
  // A message type the role serves, and the CPU it costs by default
  // (seconds on the reference core), cost key "<role>.<type's short name>".
  struct Request {
    const google::protobuf::Descriptor* type;
    double default_cost;
  };

  std::string name;
  std::string summary;  // one line, for help texts
  Factory make;
  std::vector<Request> serves;
  // Other work the role is charged for: "reply" (a reply to one of its
  // calls arrives) always; "client_frame" for roles with clients, "record"
  // for roles that consume the bus. Key -> default seconds.
  std::map<std::string, double> other_costs;
  std::vector<SettingSpec> settings;
  // Settings a simulated run uses unless its scenario gives them: work the
  // cost table charges as CPU, which the run need not really do.
  std::map<std::string, double> simulated_defaults;
  bool has_clients = false;
  // How its clients talk, live: length-prefixed api frames over TCP
  // (ClientServer), or HTTP/1.1 requests arriving as api.BotCall frames and
  // answered by api.BotAnswer frames (impl/live/http_client_server.h).
  enum class ClientProtocol { kFrames, kHttp };
  ClientProtocol client_protocol = ClientProtocol::kFrames;
  bool uses_bus = false;    // publishes or subscribes: its processes need the bus
  bool uses_blobs = false;  // keeps blobs (Env::Blobs): live, in storage.s3 when configured
  // Instances may be added or removed while running: its cores move their
  // data when told the new shape (Service::OnReshape).
  bool reshapable = false;
  std::vector<std::string> topics;  // the bus topics it publishes to or consumes
  // Every deployment must have at least one instance. The built-in roles
  // are; a new role is optional, so existing scenarios and configs stay valid.
  bool required = false;
};

class RoleRegistry {
 public:
  // The process-wide registry, with the built-in roles.
  static RoleRegistry& Global();

  // Adds a role. Throws std::invalid_argument on a duplicate name, a name
  // that is not [a-z][a-z0-9_]* or is a top-level key of scenarios or
  // deployment configs, or a spec without a factory.
  void Add(RoleSpec spec);
  const RoleSpec* Find(std::string_view name) const;
  // Throws std::invalid_argument for an unknown name.
  const RoleSpec& Get(std::string_view name) const;
  // In registration order.
  const std::vector<RoleSpec>& roles() const { return roles_; }
  std::vector<std::string> Names() const;

 private:
  std::vector<RoleSpec> roles_;
};

// Every cost key of a role with its default: "<role>.<Type>" per request
// served, "<role>.<key>" per other cost.
std::map<std::string, double> DefaultCosts(const RoleSpec& role);

// Every topic a role of registry declares, once each, sorted.
std::vector<std::string> AllTopics(const RoleRegistry& registry);

// A setting's value: the deployment's, else the role's default. Throws
// std::invalid_argument if spec declares no such key.
double SettingOr(const RoleSpec& spec, const RoleSettings& settings, const std::string& key);

}  // namespace msgbed
