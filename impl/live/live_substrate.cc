#include "live/live_substrate.h"

#include <sodium.h>
#include <spdlog/spdlog.h>

#include <boost/asio/steady_timer.hpp>

#include "core/address.h"
#include "host/instance_host.h"
#include "host/wire.h"

namespace msgbed::live {

namespace {
// Monotonic time is measured from the first use in the process.
const auto kProcessStart = std::chrono::steady_clock::now();
}  // namespace

bool LiveSubstrate::Entropy(void* out, size_t n) {
  if (sodium_init() < 0) return false;
  randombytes_buf(out, n);
  return true;
}

Micros LiveSubstrate::Now() const {
  using namespace std::chrono;
  return duration_cast<microseconds>(steady_clock::now() - kProcessStart).count();
}

Micros LiveSubstrate::Date() const {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

void LiveSubstrate::At(Micros at, std::function<void()> fn) {
  auto timer = std::make_shared<asio::steady_timer>(io_, kProcessStart + std::chrono::microseconds(at));
  timer->async_wait([timer, fn = std::move(fn)](boost::system::error_code ec) {
    if (!ec) fn();
  });
}

void LiveSubstrate::Publish(const std::string& topic, const std::string& key, Envelope e) {
  if (bus_ == nullptr) return host_->Stats().Add("bus.no_bus");  // its role declared no use of the bus
  bus_->Publish(topic, key, EncodeWire(e));
}

void LiveSubstrate::JoinGroup(const std::string& group, const std::vector<std::string>& topics) {
  if (bus_ == nullptr) {
    subscribe_status_ = Status::Invalid("role " + self_.role() + " consumes but does not declare uses_bus");
    return;
  }
  InstanceHost* host = host_;
  KafkaBus::ConsumerHandlers handlers;
  handlers.assigned = [host](const auto& partitions) { host->PartitionsAssigned(partitions); };
  handlers.record = [host](const BusRecord& r, std::function<void()> handled) {
    host->DeliverRecord(r, std::move(handled));
  };
  handlers.revoked = [host](const auto& partitions) { host->PartitionsRevoked(partitions); };
  subscribe_status_ = bus_->Consume(group, topics, std::move(handlers), &consumer_);
  if (subscribe_status_.ok()) ReportLag(++consumer_generation_);
}

void LiveSubstrate::ReportLag(uint64_t generation) {
  if (consumer_ == 0 || generation != consumer_generation_) return;  // stopped, or another consumer now
  const int64_t lag = bus_->Lag(consumer_);
  host_->Stats().Set("bus.lag", lag);
  if (lag >= kLagWarning && (warned_at_ < 0 || Now() - warned_at_ >= 10 * kSecond)) {
    warned_at_ = Now();
    spdlog::warn("{}: {} records behind on the bus", ToString(self_), lag);
  }
  At(Now() + kSecond, [this, generation] { ReportLag(generation); });
}

void LiveSubstrate::LeaveGroup(bool orderly) {
  if (consumer_ == 0) return;
  bus_->StopConsuming(consumer_, orderly);
  consumer_ = 0;
}

}  // namespace msgbed::live
