// The live bus against librdkafka's mock cluster, alone.
#include "live/kafka_bus.h"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <set>
#include <thread>

namespace msgbed::live {
namespace {

// A core that cannot keep up must not make the process buffer the topic:
// the consumer stops at its bound, and every record still arrives, in order.
TEST(KafkaBus, ASlowConsumerLeavesRecordsInKafkaNotInMemory) {
  boost::asio::io_context io;
  auto busy = boost::asio::make_work_guard(io);  // or io would stop whenever it caught up
  std::unique_ptr<KafkaMockCluster> mock;
  ASSERT_TRUE(KafkaMockCluster::Start(1, &mock).ok());
  ASSERT_TRUE(mock->CreateTopic("t", 1).ok());
  std::unique_ptr<KafkaBus> bus;
  ASSERT_TRUE(KafkaBus::Open(mock->bootstrap(), 1, {"t"}, io, &bus).ok());
  constexpr size_t kBound = KafkaBus::kMaxPostedRecords;
  constexpr size_t kRecords = 3 * kBound;
  for (size_t i = 0; i < kRecords; ++i) bus->Publish("t", "k", "record " + std::to_string(i));
  ASSERT_TRUE(bus->Flush(10000));

  std::vector<int64_t> offsets;
  KafkaBus::ConsumerId id = 0;
  KafkaBus::ConsumerHandlers handlers;
  handlers.assigned = handlers.revoked = [](const auto&) {};
  handlers.record = [&](const BusRecord& r, const std::function<void()>& handled) {
    offsets.push_back(r.offset);
    handled();
  };
  ASSERT_TRUE(bus->Consume("g", {"t"}, std::move(handlers), &id).ok());
  // The io_context does not run yet: the core is "busy". The consumer fills its bound.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (bus->posted(id) < kBound && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  ASSERT_EQ(bus->posted(id), kBound);
  // Its lag counts what waits in Kafka and what waits posted: every record.
  while (bus->Lag(id) != static_cast<int64_t>(kRecords) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::yield();
  }
  EXPECT_EQ(bus->Lag(id), static_cast<int64_t>(kRecords));
  // The core catches up, one record at a time; the bound holds throughout.
  while (offsets.size() < kRecords && std::chrono::steady_clock::now() < deadline) {
    io.run_one_for(std::chrono::milliseconds(100));
    ASSERT_LE(bus->posted(id), kBound);
  }
  ASSERT_EQ(offsets.size(), kRecords);
  EXPECT_EQ(bus->most_posted(id), kBound);
  for (size_t i = 0; i < kRecords; ++i) ASSERT_EQ(offsets[i], static_cast<int64_t>(i)) << "in order";
  EXPECT_EQ(bus->Lag(id), 0) << "caught up";
  bus->StopConsuming(id, true);
}

// A member of a consumer group, as a service instance sees it.
struct Member {
  std::set<uint32_t> owned;
  std::vector<BusRecord> records;
  KafkaBus::ConsumerId id = 0;

  KafkaBus::ConsumerHandlers Handlers() {
    KafkaBus::ConsumerHandlers h;
    h.assigned = [this](const std::vector<Service::Partition>& ps) {
      for (const auto& p : ps) owned.insert(p.partition);
    };
    h.revoked = [this](const std::vector<Service::Partition>& ps) {
      for (const auto& p : ps) owned.erase(p.partition);
    };
    h.record = [this](const BusRecord& r, const std::function<void()>& handled) {
      handled();
      EXPECT_TRUE(owned.contains(r.partition)) << "a record of a partition it was not given";
      records.push_back(r);
    };
    return h;
  }
};

// Runs io until done() or 30 s.
bool RunUntil(boost::asio::io_context& io, const std::function<bool()>& done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!done() && std::chrono::steady_clock::now() < deadline) io.run_one_for(std::chrono::milliseconds(50));
  return done();
}

// Two members share the partitions; when one leaves, the other takes them
// all and reads on from what the group committed: nothing is lost.
TEST(KafkaBus, AGroupSharesPartitionsAndTheRestTakeOverWhenAMemberLeaves) {
  boost::asio::io_context io;
  auto busy = boost::asio::make_work_guard(io);
  std::unique_ptr<KafkaMockCluster> mock;
  ASSERT_TRUE(KafkaMockCluster::Start(1, &mock).ok());
  constexpr uint32_t kPartitions = 4;
  ASSERT_TRUE(mock->CreateTopic("t", kPartitions).ok());
  std::unique_ptr<KafkaBus> bus;
  ASSERT_TRUE(KafkaBus::Open(mock->bootstrap(), kPartitions, {"t"}, io, &bus, 3000).ok());
  Member a, b;
  ASSERT_TRUE(bus->Consume("g", {"t"}, a.Handlers(), &a.id).ok());
  ASSERT_TRUE(bus->Consume("g", {"t"}, b.Handlers(), &b.id).ok());
  ASSERT_TRUE(RunUntil(
      io, [&] { return !a.owned.empty() && !b.owned.empty() && a.owned.size() + b.owned.size() == kPartitions; }))
      << "a owns " << a.owned.size() << ", b owns " << b.owned.size();
  for (uint32_t p : a.owned) EXPECT_FALSE(b.owned.contains(p)) << "partition " << p << " given twice";

  constexpr size_t kKeys = 40;  // spread over every partition
  auto publish = [&](const std::string& round) {
    for (size_t k = 0; k < kKeys; ++k) bus->Publish("t", std::to_string(k), round);
    ASSERT_TRUE(bus->Flush(10000));
  };
  publish("first");
  ASSERT_TRUE(RunUntil(io, [&] { return a.records.size() + b.records.size() == kKeys; }));

  bus->StopConsuming(b.id, true);
  publish("second");
  // At least once: a may read some "first" records again (the rebalance
  // hands its own partitions back from the last commit), never miss one.
  auto second = [&] {
    std::set<std::string> keys;
    for (const BusRecord& r : a.records) {
      if (r.payload == "second") keys.insert(r.key);
    }
    return keys.size();
  };
  EXPECT_TRUE(RunUntil(io, [&] { return a.owned.size() == kPartitions && second() == kKeys; }))
      << "a owns " << a.owned.size() << " partitions and read " << second() << " of the records published after b left";
  bus->StopConsuming(a.id, true);
}

}  // namespace
}  // namespace msgbed::live
