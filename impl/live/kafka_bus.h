// KafkaBus: the live event bus over librdkafka. One producer per process;
// one consumer per service instance that subscribes, with the partitions
// assigned statically (Service::Subscriptions), reading from its committed
// offsets and committing only what its core has handled: at-least-once.
// Records are published to the partition PartitionOfKey(key) chosen here,
// with the idempotent producer, so each partition keeps publish order.
//
// Thread rule: librdkafka runs its own threads and one poll thread per
// consumer; records reach the core through asio::post on the io_context,
// so cores still see one thread. Every other call is made on that thread.
//
// Shutdown is bounded (kCloseTimeoutMs per client) even when the brokers
// are gone: offsets not committed by then are handled again after a
// restart (devices drop duplicates by pts), records not delivered are
// counted in undelivered() and logged; the message boxes still hold them.
#pragma once

#include <librdkafka/rdkafka.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/env.h"
#include "core/service.h"

struct rd_kafka_mock_cluster_s;  // librdkafka/rdkafka_mock.h

namespace msgbed::live {

class KafkaBus {
 public:
  static constexpr int kCloseTimeoutMs = 2000;

  // Connects a producer to bootstrap and checks that every topic in topics
  // exists with `partitions` partitions.
  static Status Open(const std::string& bootstrap, uint32_t partitions, const std::vector<std::string>& topics,
                     boost::asio::io_context& io, std::unique_ptr<KafkaBus>* out);
  ~KafkaBus();

  void Publish(const std::string& topic, const std::string& key, const std::string& payload);

  using ConsumerId = uint64_t;
  // Starts a consumer in consumer group `group` over subs; handler runs on
  // the io_context thread for each record, in partition order. *id names it
  // for StopConsuming.
  Status Consume(const std::string& group, const std::vector<Service::Subscription>& subs,
                 std::function<void(const BusRecord&)> handler, ConsumerId* id);
  // Stops a consumer (bounded, like shutdown); records posted but not yet
  // handled are dropped and read again by the next consumer of the group.
  void StopConsuming(ConsumerId id);

  // Moves to the brokers at bootstrap (a restarted mock cluster has new
  // addresses): the producer and every consumer are rebuilt there and
  // consume from their committed offsets, or the earliest record.
  Status Reconnect(const std::string& bootstrap);

  // Waits up to timeout_ms for every published record to be acknowledged.
  bool Flush(int timeout_ms);
  const std::string& bootstrap() const { return bootstrap_; }
  // Records given up on: failed delivery, or still queued at a reconnect or shutdown.
  uint64_t undelivered() const { return undelivered_->load(); }

 private:
  struct Consumer;
  KafkaBus(uint32_t partitions, std::vector<std::string> topics, boost::asio::io_context& io)
      : partitions_(partitions), topics_(std::move(topics)), io_(io) {}
  Status StartProducer(const std::string& bootstrap);
  void StopProducer();
  Status StartConsumer(Consumer& c);
  static void StopConsumer(Consumer& c);

  const uint32_t partitions_;
  const std::vector<std::string> topics_;
  boost::asio::io_context& io_;
  std::string bootstrap_;
  rd_kafka_t* producer_ = nullptr;
  std::atomic<bool> stop_producer_{false};
  std::thread producer_poller_;
  std::shared_ptr<std::atomic<uint64_t>> undelivered_ = std::make_shared<std::atomic<uint64_t>>(0);
  std::map<ConsumerId, std::shared_ptr<Consumer>> consumers_;
  ConsumerId next_consumer_ = 1;
};

// librdkafka's Kafka-protocol mock cluster: real brokers on loopback ports,
// in this process. For tests and single-machine runs.
class KafkaMockCluster {
 public:
  static Status Start(uint32_t brokers, std::unique_ptr<KafkaMockCluster>* out);
  ~KafkaMockCluster();
  Status CreateTopic(const std::string& topic, uint32_t partitions);
  std::string bootstrap() const;

 private:
  KafkaMockCluster(rd_kafka_t* host, ::rd_kafka_mock_cluster_s* cluster) : host_(host), cluster_(cluster) {}
  rd_kafka_t* host_;
  ::rd_kafka_mock_cluster_s* cluster_;
};

}  // namespace msgbed::live
