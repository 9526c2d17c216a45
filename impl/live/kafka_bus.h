// KafkaBus: the live event bus over librdkafka. One producer per process;
// one consumer per service instance that subscribes, with the partitions
// assigned statically (Service::Subscriptions), reading from its committed
// offsets and committing only what its core has handled: at-least-once.
// Records are published to the partition PartitionOfKey(key) chosen here,
// with the idempotent producer, so each partition keeps publish order.
//
// Thread rule: librdkafka runs its own threads and one poll thread per
// consumer; records reach the core through asio::post on the io_context,
// so cores still see one thread.
#pragma once

#include <librdkafka/rdkafka.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <functional>
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
  // Connects a producer to bootstrap and checks that every topic in topics
  // exists with `partitions` partitions.
  static Status Open(const std::string& bootstrap, uint32_t partitions, const std::vector<std::string>& topics,
                     boost::asio::io_context& io, std::unique_ptr<KafkaBus>* out);
  ~KafkaBus();  // stops consumers, then flushes the producer (bounded wait)

  void Publish(const std::string& topic, const std::string& key, const std::string& payload);

  // Starts a consumer in consumer group `group` over subs; handler runs on
  // the io_context thread for each record, in partition order.
  Status Consume(const std::string& group, const std::vector<Service::Subscription>& subs,
                 std::function<void(const BusRecord&)> handler);

  // Waits up to timeout_ms for every published record to be acknowledged.
  bool Flush(int timeout_ms);

 private:
  struct Consumer {
    rd_kafka_t* rk = nullptr;
    std::thread poller;
  };
  KafkaBus(std::string bootstrap, uint32_t partitions, boost::asio::io_context& io, rd_kafka_t* producer)
      : bootstrap_(std::move(bootstrap)), partitions_(partitions), io_(io), producer_(producer) {}
  void PollProducer();

  const std::string bootstrap_;
  const uint32_t partitions_;
  boost::asio::io_context& io_;
  rd_kafka_t* producer_;
  std::atomic<bool> stop_{false};
  std::thread producer_poller_;
  std::vector<std::unique_ptr<Consumer>> consumers_;
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
