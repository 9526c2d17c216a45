// LiveEnv: the Env of one service instance in a live process. Time is the
// system clock, timers are Asio timers on the process's io_context, sends go
// through the Router, client I/O through the gateway's ClientServer, the bus
// is the KafkaBus and storage the instance's own RocksDB.
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <map>
#include <memory>

#include "core/env.h"
#include "core/service.h"
#include "live/client_server.h"
#include "live/kafka_bus.h"
#include "live/rocksdb_store.h"
#include "live/router.h"

namespace msgbed::live {

class LiveEnv final : public Env {
 public:
  LiveEnv(asio::io_context& io, rpc::Address self, Router* router, KafkaBus* bus, std::unique_ptr<KvStore> store,
          uint64_t seed)
      : io_(io), self_(std::move(self)), router_(router), bus_(bus), store_(std::move(store)), rng_(seed) {}

  // REQUIRES: gateways only, before any client frame.
  void SetClientServer(ClientServer* clients) { clients_ = clients; }

  const rpc::Address& Self() const override { return self_; }
  Micros Now() const override;
  TimerId StartTimer(Micros delay, std::function<void()> fn) override;
  void CancelTimer(TimerId id) override { timers_.erase(id); }
  void Send(rpc::Envelope msg) override;
  void SendToClient(ConnId conn, const api::ServerFrame& frame) override;
  void CloseClient(ConnId conn, std::string_view reason) override;
  void Publish(const std::string& topic, const std::string& key, std::string payload) override;
  KvStore& Kv() override { return *store_; }
  Rng& Random() override { return rng_; }
  Metrics& Stats() override { return metrics_; }

 private:
  asio::io_context& io_;
  rpc::Address self_;
  Router* router_;
  KafkaBus* bus_;
  ClientServer* clients_ = nullptr;
  std::unique_ptr<KvStore> store_;
  Rng rng_;
  Metrics metrics_;
  std::map<TimerId, std::unique_ptr<asio::steady_timer>> timers_;
  TimerId next_timer_ = 1;
};

}  // namespace msgbed::live
