// KafkaBus: the live event bus over librdkafka. One producer per process;
// one consumer per service instance that consumes, a member of its role's
// consumer group (range assignment, eager: a rebalance takes every
// partition back and hands them out again), reading from the group's
// committed offsets and committing
// only what its core has handled: at-least-once. Assignments and
// revocations reach the core in order with the records, through the
// io_context.
// Records are published to the partition PartitionOfKey(key) chosen here,
// with the idempotent producer, so each partition keeps publish order.
//
// Thread rule: every call is made on the io_context thread. librdkafka runs
// its own threads and one poll thread per consumer; records reach the core
// through asio::post, so cores still see one thread.
//
// Backpressure: a consumer has at most kMaxPostedRecords posted and not yet
// handled; at that bound its poll thread stops polling until the core
// catches up, and librdkafka stops fetching once its own queue
// (queued.max.messages.kbytes, kFetchQueueKBytes) is full. A slow core
// therefore leaves records in Kafka instead of in this process's memory. Work that can block
// (moving to other brokers, closing clients whose brokers are gone) runs on
// helper threads, never on the io_context thread.
//
// Shutdown is bounded (about 2 * kCloseTimeoutMs per client) even when the
// brokers are gone: offsets not committed by then are handled again after
// a restart (devices drop duplicates by pts); records not delivered are
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
  static constexpr size_t kMaxPostedRecords = 1024;
  static constexpr int kFetchQueueKBytes = 8192;

  // Connects a producer to bootstrap and checks that every topic in topics
  // exists with `partitions` partitions. Blocks up to 10 s.
  // session_timeout_ms: how long the group takes to notice a consumer that
  // vanished (brokers accept 6000 to 300000 by default; the mock any).
  static Status Open(const std::string& bootstrap, uint32_t partitions, const std::vector<std::string>& topics,
                     boost::asio::io_context& io, std::unique_ptr<KafkaBus>* out, int session_timeout_ms = 10000);
  ~KafkaBus();

  void Publish(const std::string& topic, const std::string& key, const std::string& payload);

  using ConsumerId = uint64_t;
  // What a consumer's owner hears, on the io_context thread, in order: the
  // partitions it gains, the records of its partitions (in partition
  // order), the partitions it loses.
  struct ConsumerHandlers {
    std::function<void(const std::vector<Service::Partition>&)> assigned;
    // `handled` stores the record's offset (what the group commits): call
    // it once the record was handled, never if it was dropped.
    std::function<void(const BusRecord&, std::function<void()> handled)> record;
    std::function<void(const std::vector<Service::Partition>&)> revoked;
  };
  // Starts a consumer in consumer group `group` over topics. *id names it
  // for StopConsuming.
  Status Consume(const std::string& group, const std::vector<std::string>& topics, ConsumerHandlers handlers,
                 ConsumerId* id);
  // Stops a consumer; nothing more reaches its handlers. Records posted but
  // not yet handled are read again by the group. orderly: it leaves the
  // group (its partitions move at once); otherwise the group notices after
  // the session timeout, as after a crash.
  void StopConsuming(ConsumerId id, bool orderly);

  // Moves to the brokers at bootstrap (a restarted mock cluster has new
  // addresses), without blocking: a helper thread connects there and checks
  // the topics; on success the producer and every consumer are replaced on
  // the io_context thread (consumers resume from committed offsets, or the
  // earliest record). Either way `done` then runs there with the outcome;
  // on failure the bus keeps what it had. False (and no `done`) if a move
  // is already under way.
  bool ReconnectAsync(const std::string& bootstrap, std::function<void(const Status&)> done);

  // Waits up to timeout_ms for every published record to be acknowledged.
  bool Flush(int timeout_ms);
  const std::string& bootstrap() const { return bootstrap_; }
  // Records of consumer `id` posted to the io_context and not yet handled
  // (at most kMaxPostedRecords), and the most there ever were.
  size_t posted(ConsumerId id) const;
  // Records of consumer `id`'s partitions not yet handled: from its fetch
  // position to each partition's end (as last fetched), plus those posted
  // and not yet handled. Does not block.
  int64_t Lag(ConsumerId id) const;
  size_t most_posted(ConsumerId id) const;
  // Records given up on: failed delivery, or still queued at a reconnect or shutdown.
  uint64_t undelivered() const { return undelivered_->load(); }

 private:
  struct Producer;
  struct Consumer;
  KafkaBus(uint32_t partitions, std::vector<std::string> topics, boost::asio::io_context& io, int session_timeout_ms);
  // Blocking (up to timeout_ms): a producer at bootstrap whose topics check out.
  Status NewProducer(const std::string& bootstrap, int timeout_ms, std::unique_ptr<Producer>* out) const;
  Status StartConsumer(Consumer& c);
  void StopConsumer(Consumer& c, bool orderly);
  // Closes clients on a helper thread; the destructor waits for them.
  void Retire(std::function<void()> close);

  const uint32_t partitions_;
  const std::vector<std::string> topics_;
  const int session_timeout_ms_;
  boost::asio::io_context& io_;
  std::string bootstrap_;
  std::shared_ptr<std::atomic<uint64_t>> undelivered_ = std::make_shared<std::atomic<uint64_t>>(0);
  std::unique_ptr<Producer> producer_;
  std::map<ConsumerId, std::shared_ptr<Consumer>> consumers_;
  ConsumerId next_consumer_ = 1;
  std::thread reconnect_;
  bool reconnecting_ = false;
  struct Retiring {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::vector<Retiring> retiring_;
  // Expires with this object: work posted by helper threads checks it.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

// librdkafka's Kafka-protocol mock cluster: real brokers on loopback ports,
// in this process. For tests and single-machine runs.
class KafkaMockCluster {
 public:
  static Status Start(uint32_t brokers, std::unique_ptr<KafkaMockCluster>* out);
  ~KafkaMockCluster();
  Status CreateTopic(const std::string& topic, uint32_t partitions);
  std::string bootstrap() const;
  // Takes broker `index` (0-based) down or brings it back (a fault).
  Status SetBrokerUp(uint32_t index, bool up);

 private:
  KafkaMockCluster(rd_kafka_t* host, ::rd_kafka_mock_cluster_s* cluster) : host_(host), cluster_(cluster) {}
  rd_kafka_t* host_;
  ::rd_kafka_mock_cluster_s* cluster_;
};

}  // namespace msgbed::live
