// The instance host's lifecycle and bus as a core sees them, over a
// substrate that only records what it is asked.
#include "host/instance_host.h"

#include <gtest/gtest.h>

#include "core/address.h"
#include "core/mem_blob_store.h"
#include "core/mem_kv_store.h"
#include "host/wire.h"
#include "proto/sync.pb.h"

namespace msgbed {
namespace {

struct RecordingSubstrate final : Substrate {
  Micros Now() const override { return 0; }
  Micros Date() const override { return 0; }
  void At(Micros, std::function<void()>) override {}
  void Transmit(Envelope e) override { sent.push_back(std::move(e)); }
  void Publish(const std::string& topic, const std::string& key, Envelope e) override {
    published.push_back({topic, 0, 0, key, EncodeWire(e)});
  }
  void JoinGroup(const std::string& g, const std::vector<std::string>&) override {
    group = g;
    ++joins;
  }
  void LeaveGroup(bool orderly) override { ++(orderly ? orderly_leaves : crash_leaves); }
  KvStore& Store() override { return store; }
  BlobStore& Blobs() override { return blobs; }
  ClientPort* Clients() override { return nullptr; }
  bool Entropy(void*, size_t) override { return false; }
  OutboundPort* Outbound() override { return nullptr; }

  std::string group;
  size_t joins = 0, orderly_leaves = 0, crash_leaves = 0;
  std::vector<BusRecord> published;
  std::vector<Envelope> sent;
  MemKvStore store;
  MemBlobStore blobs;
};

// Consumes topic "t" and counts what it is told in its instance's metrics
// (which outlive the core); answers each Typing it consumes.
class Consumer final : public Service {
 public:
  explicit Consumer(Env* env) : env_(env) {}
  void Register(Handlers& h) override {
    h.On<sync::Typing>([this](const Incoming& in, const sync::Typing&) {
      Count("consumed", 1);
      env_->Stats().Set("last_partition", in.partition);
      env_->Reply(in.reply_to, NewBody<sync::PresenceSnapshot>());
    });
  }
  std::vector<std::string> Topics() const override { return {"t"}; }
  void OnPartitionsAssigned(const std::vector<Partition>& s) override { Count("assigned", s.size()); }
  void OnPartitionsRevoked(const std::vector<Partition>& s) override { Count("revoked", s.size()); }

 private:
  void Count(const std::string& what, size_t n) { env_->Stats().Set(what, env_->Stats().Get(what) + n); }
  Env* env_;
};

struct Hosted {
  RecordingSubstrate substrate;
  InstanceHost host{MakeAddress("consumer", 0), [](Env* env) { return std::make_unique<Consumer>(env); }, &substrate,
                    1};
};

BusRecord TypingRecord(uint32_t partition) {
  return {"t", partition, 0, "k",
          EncodeWire(Envelope{MakeAddress("other", 0), Address(), Envelope::Kind::kOneWay, 0, rpc::CALL_OK,
                              NewBody<sync::Typing>()})};
}

TEST(InstanceHost, JoinsItsRolesGroupAtEachStartAndIsToldOfRevocationsOnlyAtAnOrderlyStop) {
  Hosted h;
  h.host.Start();
  EXPECT_EQ(h.substrate.group, "msgbed-consumer");
  h.host.PartitionsAssigned({{"t", 0}, {"t", 1}});
  EXPECT_EQ(h.host.Stats().Get("assigned"), 2);
  h.host.Crash();
  EXPECT_EQ(h.substrate.crash_leaves, 1u);
  EXPECT_EQ(h.host.Stats().Get("revoked"), 0) << "a crash gives no notice";
  h.host.Start();
  EXPECT_TRUE(h.host.assigned().empty()) << "a restart keeps nothing of its former assignment";
  h.host.PartitionsAssigned({{"t", 1}});
  h.host.Stop();
  EXPECT_EQ(h.host.Stats().Get("revoked"), 1);
  EXPECT_EQ(h.substrate.joins, 2u);
  EXPECT_EQ(h.substrate.orderly_leaves, 1u);
}

TEST(InstanceHost, DispatchesRecordsOfAssignedPartitionsOnlyWithTheirPartition) {
  Hosted h;
  h.host.Start();
  h.host.PartitionsAssigned({{"t", 0}, {"t", 1}});
  h.host.DeliverRecord(TypingRecord(1));
  EXPECT_EQ(h.host.Stats().Get("consumed"), 1);
  EXPECT_EQ(h.host.Stats().Get("last_partition"), 1);
  h.host.PartitionsRevoked({{"t", 1}});
  h.host.DeliverRecord(TypingRecord(1));  // fetched before the rebalance, handled after
  EXPECT_EQ(h.host.Stats().Get("consumed"), 1);
  EXPECT_EQ(h.host.Stats().Get("host.records_not_assigned"), 1);
  BusRecord garbage = TypingRecord(0);
  garbage.payload = "not a wire";
  h.host.DeliverRecord(garbage);
  EXPECT_EQ(h.host.Stats().Get("host.bad_records"), 1);
}

TEST(InstanceHost, ACallOnTheBusTakesItsAnswerFromWhicheverInstanceConsumedIt) {
  Hosted caller;
  caller.host.Start();
  bool answered = false;
  caller.host.CallOnBus("t", "k", NewBody<sync::Typing>(), kSecond,
                        [&](const CallResult& r) { answered = r.As<sync::PresenceSnapshot>() != nullptr; });
  ASSERT_EQ(caller.substrate.published.size(), 1u);

  Hosted consumer;
  consumer.host.Start();
  consumer.host.PartitionsAssigned({{"t", 3}});
  BusRecord record = caller.substrate.published[0];
  record.partition = 3;
  consumer.host.DeliverRecord(record);
  ASSERT_EQ(consumer.substrate.sent.size(), 1u);
  EXPECT_EQ(consumer.substrate.sent[0].kind, Envelope::Kind::kReply);
  caller.host.Deliver(consumer.substrate.sent[0]);
  EXPECT_TRUE(answered);
}

// The simulator's bus carries records decoded, sized by WireSize: a host
// handles them as it handles their bytes, and the sizes are exact.
TEST(InstanceHost, ADecodedRecordIsHandledAsItsBytesAndSizedExactly) {
  Hosted h;
  h.host.Start();
  h.host.PartitionsAssigned({{"t", 2}});
  BusRecord record = TypingRecord(2);
  Envelope decoded;
  std::string error;
  ASSERT_TRUE(DecodeWire(record.payload, &decoded, &error)) << error;
  EXPECT_EQ(WireSize(decoded), record.payload.size());
  record.wire_bytes = record.payload.size();
  record.payload.clear();
  record.decoded = std::make_shared<const Envelope>(decoded);
  h.host.DeliverRecord(record);
  EXPECT_EQ(h.host.Stats().Get("consumed"), 1);
  EXPECT_EQ(h.host.Stats().Get("last_partition"), 2);

  auto presence = NewBody<sync::PresenceSnapshot>();
  presence->add_clients()->mutable_gateway()->set_role("gateway");
  for (const Envelope& e :
       {Envelope{MakeAddress("sync", 300), MakeAddress("gateway", 7), Envelope::Kind::kCall, 1ull << 40, rpc::CALL_OK,
                 presence},
        Envelope{MakeAddress("sync", 0), Address(), Envelope::Kind::kReply, 3, rpc::DEADLINE_EXCEEDED, nullptr},
        Envelope{Address(), Address(), Envelope::Kind::kOneWay, 0, rpc::CALL_OK, NewBody<sync::Typing>()},
        Envelope{MakeAddress("a", 1), MakeAddress("b", 2), Envelope::Kind::kCall, 9, rpc::CALL_OK,
                 NewBody<sync::PresenceSnapshot>()}}) {
    EXPECT_EQ(WireSize(e), EncodeWire(e).size());
  }
}

}  // namespace
}  // namespace msgbed
