// The live bus against librdkafka's mock cluster, alone.
#include "live/kafka_bus.h"

#include <gtest/gtest.h>

#include <chrono>
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
  ASSERT_TRUE(bus->Consume(
                     "g", {{"t", 0}}, [&](const BusRecord& r) { offsets.push_back(r.offset); }, &id)
                  .ok());
  // The io_context does not run yet: the core is "busy". The consumer fills its bound.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (bus->posted(id) < kBound && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  ASSERT_EQ(bus->posted(id), kBound);
  // The core catches up, one record at a time; the bound holds throughout.
  while (offsets.size() < kRecords && std::chrono::steady_clock::now() < deadline) {
    io.run_one_for(std::chrono::milliseconds(100));
    ASSERT_LE(bus->posted(id), kBound);
  }
  ASSERT_EQ(offsets.size(), kRecords);
  EXPECT_EQ(bus->most_posted(id), kBound);
  for (size_t i = 0; i < kRecords; ++i) ASSERT_EQ(offsets[i], static_cast<int64_t>(i)) << "in order";
  bus->StopConsuming(id);
}

}  // namespace
}  // namespace msgbed::live
