// Outbound: messages to people and their devices, through providers outside
// the system: SMS gateways (sign-in codes), push services (notifications
// to devices that are not connected) and email (password recovery codes). A runtime configures, per channel,
// an ordered list of providers (live: deploy config, impl/live/outbound.h;
// simulated: a delivery model per provider, sim/outbound_model.h). A core
// makes one attempt at a time through one provider and decides about
// retries and failover itself (core/delivery.h), the same in every runtime.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace msgbed {

inline constexpr const char* kSmsChannel = "sms";
inline constexpr const char* kPushChannel = "push";
inline constexpr const char* kEmailChannel = "email";
// Bot API webhooks: `to` is the bot's URL, `text` the Update's JSON, POSTed
// as it is (docs/bots.md).
inline constexpr const char* kWebhookChannel = "webhook";

struct OutboundMessage {
  // The address on the channel: a phone number's digits for sms, a
  // device token for push, an address for email.
  std::string to;
  std::string text;
  // webhook: sent as X-Telegram-Bot-Api-Secret-Token (empty: no header).
  std::string secret_token = "";
};

class OutboundPort {
 public:
  using Done = std::function<void(const Status&)>;
  virtual ~OutboundPort() = default;
  // How many providers channel has; 0 if none is configured.
  virtual size_t Providers(std::string_view channel) const = 0;
  // One attempt through provider `index` (< Providers(channel)). done runs
  // exactly once, on the core's thread, never before Deliver returns: Ok
  // when the provider accepted the message, an error when it refused it,
  // was unreachable or did not answer in time. Not at all if the instance
  // stops or crashes first.
  virtual void Deliver(std::string_view channel, size_t index, const OutboundMessage& message, Done done) = 0;
};

}  // namespace msgbed
