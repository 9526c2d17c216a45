// SmsProviders: the live SMS providers of one process (deploy config
// `sms:`, docs/deploy.md), behind the port the auth core uses
// (core/outbound.h). Each attempt is one try of one provider; retries and
// failover are the core's (core/delivery.h).
//
//   log   development: the message goes to the process log and is appended
//         to a file ("<date> +<to> <text>", one line each) that a person
//         or a test reads the code from. Always accepts.
//   http  POSTs {"to": "+<digits>", "text": "..."} as JSON to an http://
//         URL, as SMS gateways are called; a 2xx answer within `timeout`
//         accepts, anything else (refused connection, timeout, other
//         status) fails the attempt. Plain HTTP only: reach an https
//         gateway through a local TLS relay.
#pragma once

#include <boost/asio/io_context.hpp>
#include <string>
#include <vector>

#include "core/outbound.h"
#include "core/time.h"

namespace msgbed::live {

namespace asio = boost::asio;

struct SmsProviderConfig {
  enum class Kind { kLog, kHttp };
  Kind kind = Kind::kLog;
  std::string file;  // kLog: where codes are appended
  // kHttp: the parts of url = http://host[:port]/target
  std::string host, port = "80", target = "/";
  Micros timeout = 2 * kSecond;
  std::string Describe() const;
};

// Splits an http:// URL; false if it is not one.
bool ParseHttpUrl(const std::string& url, SmsProviderConfig* out);

class SmsProviders final : public OutboundPort {
 public:
  // Callbacks run on io (the process's one thread).
  SmsProviders(asio::io_context& io, std::vector<SmsProviderConfig> providers);

  // Whether every log provider's file can be appended to (checked at start,
  // so a bad path stops the process instead of failing sign-ins).
  Status Check() const;

  size_t Providers(std::string_view channel) const override;
  void Deliver(std::string_view channel, size_t index, const OutboundMessage& message, Done done) override;

 private:
  void Log(const SmsProviderConfig& p, const OutboundMessage& message, Done done);
  void Post(const SmsProviderConfig& p, const OutboundMessage& message, Done done);

  asio::io_context& io_;
  std::vector<SmsProviderConfig> providers_;
};

}  // namespace msgbed::live
