// OutboundProviders: the live providers of one process, per channel: SMS
// gateways (deploy config `sms:`) and push services (`push:`),
// docs/deploy.md; behind the port the auth core uses (core/outbound.h).
// Each attempt is one try of one provider; retries and failover are the
// core's (core/delivery.h).
//
//   log   development: the message goes to the process log and is appended
//         to a file ("<date> <to> <text>", one line each; an SMS's <to> is
//         "+<digits>", a push's the device token) that a person or a test
//         reads. Always accepts.
//   http  POSTs {"to": "<to>", "text": "..."} as JSON to an http:// URL, as
//         SMS gateways and push relays are called; a 2xx answer within
//         `timeout` accepts, anything else (refused connection, timeout,
//         other status) fails the attempt. Plain HTTP only: reach an https
//         service through a local TLS relay.
//   webhook (the Bot API's webhooks, always present): POSTs the message's
//         text as it is (a JSON Update) to the http:// URL in its `to`,
//         with X-Telegram-Bot-Api-Secret-Token when the message has one;
//         2xx within `timeout` accepts. Any host and port the bot names:
//         restrict the botapi processes' egress where that matters.
#pragma once

#include <boost/asio/io_context.hpp>
#include <map>
#include <string>
#include <vector>

#include "core/outbound.h"
#include "core/time.h"

namespace msgbed::live {

namespace asio = boost::asio;

struct ProviderConfig {
  enum class Kind { kLog, kHttp, kWebhook };
  Kind kind = Kind::kLog;
  std::string file;  // kLog: where codes are appended
  // kHttp: the parts of url = http://host[:port]/target
  std::string host, port = "80", target = "/";
  Micros timeout = 2 * kSecond;
  std::string Describe() const;
  friend bool operator==(const ProviderConfig&, const ProviderConfig&) = default;
};

// Splits an http:// URL; false if it is not one.
bool ParseHttpUrl(const std::string& url, ProviderConfig* out);

class OutboundProviders final : public OutboundPort {
 public:
  using ByChannel = std::map<std::string, std::vector<ProviderConfig>, std::less<>>;
  // Callbacks run on io (the process's one thread).
  OutboundProviders(asio::io_context& io, ByChannel providers);

  // Whether every log provider's file can be appended to (checked at start,
  // so a bad path stops the process instead of failing sign-ins).
  Status Check() const;

  size_t Providers(std::string_view channel) const override;
  void Deliver(std::string_view channel, size_t index, const OutboundMessage& message, Done done) override;

 private:
  void Log(std::string_view channel, const ProviderConfig& p, const OutboundMessage& message, Done done);
  void Post(std::string_view channel, const ProviderConfig& p, const OutboundMessage& message, Done done);

  asio::io_context& io_;
  ByChannel providers_;
};

}  // namespace msgbed::live
