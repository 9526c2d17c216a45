// `msgbed bot`: the operator's requests to a running deployment's Bot API
// server (botapi/0's client endpoint), with the operator's bearer key
// derived from the deployment secret (live/link_auth.h, OperatorKey).
#include <iostream>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "core/address.h"
#include "live/config.h"
#include "live/http_call.h"
#include "live/link_auth.h"

namespace msgbed::cli {

namespace {

constexpr const char* kPrefix = "msgbed bot: ";

// Where botapi/0 takes requests: a wildcard listen address is reached on loopback.
bool BotApiEndpoint(const live::LiveConfig& config, live::Endpoint* out, std::string* why) {
  for (const auto& ic : config.instances) {
    if (ic.role != role::kBotApi || ic.index != 0) continue;
    *out = ic.client;
    if (out->host.empty() || out->host == "0.0.0.0") out->host = "127.0.0.1";
    if (out->host == "::" || out->host == "[::]") out->host = "::1";
    if (out->port == 0) {
      *why = "botapi/0's client port is 0 in " + config.file + ": give it a fixed port to reach it";
      return false;
    }
    return true;
  }
  *why = "no botapi instance in " + config.file + " (add instances.botapi/0 with a client address)";
  return false;
}

live::HttpCallRequest RequestOf(const BotOptions& o) {
  live::HttpCallRequest r;
  if (o.action == "create") {
    r.method = "POST";
    r.path = "/admin/createBot";
    r.params = {{"username", o.username},
                {"first_name", o.name.empty() ? o.username : o.name},
                {"reads_all_group_messages", o.reads_all_group_messages ? "true" : "false"}};
  } else if (o.action == "revoke") {
    r.method = "POST";
    r.path = "/admin/revokeToken";
    r.params = {{"bot_id", std::to_string(o.bot)}};
  } else {
    r.path = "/admin/findBot";
    r.params = {{"username", o.username}};
  }
  return r;
}

// Prints the result's fields that the action reports, as `key: value` lines.
void PrintResult(const std::string& action, const nlohmann::json& result) {
  const std::vector<const char*> keys = action == "show"     ? std::vector<const char*>{"id", "username"}
                                        : action == "revoke" ? std::vector<const char*>{"id", "token"}
                                                             : std::vector<const char*>{"id", "username", "token"};
  for (const char* key : keys) {
    if (!result.contains(key)) continue;
    const auto& v = result[key];
    std::cout << key << ": " << (v.is_string() ? v.get<std::string>() : v.dump()) << "\n";
  }
}

// The Bot API answer: {"ok":true,"result":{...}} or {"ok":false,"description":...}.
int Report(const BotOptions& o, const live::Endpoint& to, const live::HttpCallReply& reply) {
  const nlohmann::json answer = nlohmann::json::parse(reply.body, nullptr, /*allow_exceptions=*/false);
  if (!answer.is_object() || !answer.contains("ok") || !answer["ok"].is_boolean()) {
    std::cerr << kPrefix << "unexpected answer from " << to.ToString() << " (HTTP " << reply.status
              << "): " << reply.body.substr(0, 200) << "\n";
    return 1;
  }
  if (!answer["ok"].get<bool>()) {
    const auto d = answer.value("description", std::string("HTTP " + std::to_string(reply.status)));
    std::cerr << kPrefix << d << "\n";
    return 1;
  }
  PrintResult(o.action, answer.contains("result") ? answer["result"] : nlohmann::json::object());
  return 0;
}

}  // namespace

int Bot(const BotOptions& opts) {
  live::LiveConfig config;
  try {
    config = live::LoadConfig(opts.config);
  } catch (const live::ConfigError& e) {
    std::cerr << kPrefix << e.what() << "\n";
    return 2;
  }
  live::Endpoint to;
  std::string why;
  if (!BotApiEndpoint(config, &to, &why)) {
    std::cerr << kPrefix << why << "\n";
    return 2;
  }
  std::string secret;
  if (Status s = live::LoadSecret(config.SecretFile(), /*create=*/false, &secret); !s.ok()) {
    std::cerr << kPrefix << s.message() << " (a deployment creates it at its first start)\n";
    return 1;
  }
  live::HttpCallRequest request = RequestOf(opts);
  request.bearer = live::OperatorKey(secret);
  live::HttpCallReply reply;
  if (Status s = live::HttpCall(to, request, &reply); !s.ok()) {
    std::cerr << kPrefix << "the Bot API server (botapi/0) at " << to.ToString() << " did not answer: " << s.message()
              << "\n";
    return 1;
  }
  return Report(opts, to, reply);
}

}  // namespace msgbed::cli
