// LiveSubstrate: what a live process gives one service instance. Time is
// the process's steady clock (and the system clock for dates), At() is an
// Asio timer on the process's io_context, messages go through the Router,
// the bus is the KafkaBus (one consumer per consuming instance, in its
// role's group msgbed-<role>; none in a process whose roles do not use it), the
// store the instance's own RocksDB, and a gateway's clients its ClientServer.
#pragma once

#include <chrono>
#include <memory>

#include "host/substrate.h"
#include "live/kafka_bus.h"
#include "live/router.h"

namespace msgbed::live {

class LiveSubstrate final : public Substrate {
 public:
  LiveSubstrate(asio::io_context& io, Address self, Router* router, KafkaBus* bus, std::unique_ptr<KvStore> store,
                std::unique_ptr<BlobStore> blobs, OutboundPort* outbound)
      : io_(io),
        self_(std::move(self)),
        router_(router),
        bus_(bus),
        store_(std::move(store)),
        blobs_(std::move(blobs)),
        outbound_(outbound) {}
  ~LiveSubstrate() override { LeaveGroup(true); }

  // REQUIRES: before the host starts.
  void Attach(InstanceHost* host, ClientPort* clients) {
    host_ = host;
    clients_ = clients;
  }
  // Why the last JoinGroup failed, if it did.
  const Status& subscribe_status() const { return subscribe_status_; }

  Micros Now() const override;
  Micros Date() const override;
  void At(Micros at, std::function<void()> fn) override;
  void Transmit(Envelope e) override { router_->Send(std::move(e)); }
  void Publish(const std::string& topic, const std::string& key, Envelope e) override;
  void JoinGroup(const std::string& group, const std::vector<std::string>& topics) override;
  void LeaveGroup(bool orderly) override;
  KvStore& Store() override { return *store_; }
  BlobStore& Blobs() override { return *blobs_; }
  ClientPort* Clients() override { return clients_; }
  bool Entropy(void* out, size_t n) override;  // libsodium's randombytes: the OS CSPRNG
  OutboundPort* Outbound() override { return outbound_; }

 private:
  asio::io_context& io_;
  const Address self_;
  Router* router_;
  KafkaBus* bus_;
  std::unique_ptr<KvStore> store_;
  std::unique_ptr<BlobStore> blobs_;
  OutboundPort* outbound_;
  InstanceHost* host_ = nullptr;
  ClientPort* clients_ = nullptr;
  // Sets the host's "bus.lag" gauge every second while it consumes, and
  // logs a warning while it is at least kLagWarning records behind.
  void ReportLag(uint64_t generation);
  static constexpr int64_t kLagWarning = 10000;
  KafkaBus::ConsumerId consumer_ = 0;  // 0: none
  uint64_t consumer_generation_ = 0;   // a new one at every JoinGroup
  Micros warned_at_ = -1;
  Status subscribe_status_;
};

}  // namespace msgbed::live
