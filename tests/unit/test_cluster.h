// TestCluster: runs service instances and devices in one thread. Each
// instance is the real InstanceHost over a TestSubstrate; every message,
// bus record and client frame goes into one FIFO queue, and Run() delivers
// until nothing is left (timers due at the current time included). Time
// moves only when a test says so (Advance).
//
// Connection ids are numbered per gateway from 1, and a restarted gateway
// numbers from 1 again, as a restarted live process does.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <variant>

#include "client/device.h"
#include "core/cluster.h"
#include "core/mem_blob_store.h"
#include "core/mem_kv_store.h"
#include "host/consumer_group.h"
#include "host/instance_host.h"
#include "host/partition_log.h"
#include "roles/registry.h"

namespace msgbed::testing {

class TestCluster;

// Builds the usual three roles' shape.
inline ClusterShape Shape(uint32_t gateways = 1, uint32_t messages = 1, uint32_t sync = 1, uint32_t partitions = 8) {
  return ClusterShape::Of(gateways, messages, sync, partitions);
}

// The body of e as M, or nullptr.
template <typename M>
const M* BodyAs(const Envelope& e) {
  return e.body && e.body->GetDescriptor() == M::descriptor() ? static_cast<const M*>(e.body.get()) : nullptr;
}

class TestSubstrate final : public Substrate, public ClientPort {
 public:
  TestSubstrate(TestCluster* cluster, Address self, bool has_clients)
      : cluster_(cluster), self_(std::move(self)), has_clients_(has_clients) {}

  Micros Now() const override;
  Micros Date() const override;
  void At(Micros at, std::function<void()> fn) override;
  void Transmit(Envelope e) override;
  void Publish(const std::string& topic, const std::string& key, Envelope e) override;
  // The group rebalances next (a Rebalance item); after a crash, only once
  // TestCluster::kSessionTimeout has passed.
  void JoinGroup(const std::string& group, const std::vector<std::string>& topics) override;
  void LeaveGroup(bool orderly) override;
  KvStore& Store() override { return kv_; }
  BlobStore& Blobs() override { return blobs_; }
  ClientPort* Clients() override { return has_clients_ ? this : nullptr; }
  bool Entropy(void*, size_t) override { return false; }
  OutboundPort* Outbound() override;
  void SendToClient(ConnId conn, api::ServerFrame frame) override;
  void CloseClient(ConnId conn, std::string_view reason) override;

  MemKvStore kv_;
  MemBlobStore blobs_;
  std::vector<std::string> closed_reasons_;

 private:
  TestCluster* cluster_;
  Address self_;
  bool has_clients_;
  std::string group_;  // the consumer group it joined, "" if none
};

// The cluster's providers of one channel (SMS, push, email), shared by its auth
// instances: each accepts a message (recording it) while up, and refuses it
// while down; the answer comes as a timer due at once.
class TestProviders final : public OutboundPort {
 public:
  TestProviders(TestCluster* cluster, std::string_view channel) : cluster_(cluster), channel_(channel) {}
  size_t Providers(std::string_view channel) const override { return channel == channel_ ? up.size() : 0; }
  void Deliver(std::string_view channel, size_t index, const OutboundMessage& message, Done done) override;
  // The code (the first run of digits) in the last message a provider
  // accepted for `to` (a phone's digits, an email address), "" if none.
  std::string LastCode(const std::string& to) const;

  std::vector<bool> up{true};  // one per provider, in failover order
  bool silent = false;         // providers never answer (an attempt hangs)
  struct Sent {
    size_t provider;
    OutboundMessage message;
  };
  std::vector<Sent> sent;
  size_t attempts = 0;

 private:
  TestCluster* cluster_;
  std::string_view channel_;
};

// The port the cluster's instances see: each channel to its providers.
class TestOutbound final : public OutboundPort {
 public:
  TestOutbound(TestProviders* sms, TestProviders* push, TestProviders* email, TestProviders* webhook)
      : channels_{sms, push, email, webhook} {}
  size_t Providers(std::string_view channel) const override {
    size_t n = 0;
    for (const TestProviders* c : channels_) n += c->Providers(channel);
    return n;
  }
  void Deliver(std::string_view channel, size_t index, const OutboundMessage& message, Done done) override {
    for (TestProviders* c : channels_) {
      if (c->Providers(channel) > 0) return c->Deliver(channel, index, message, std::move(done));
    }
  }

 private:
  TestProviders* channels_[4];
};

// A device attached to a gateway of the cluster, recording what it saw.
struct TestDevice : Device::Link, Device::Observer {
  TestDevice(TestCluster* c, api::Authorization session, std::string source, uint32_t gateway,
             DeviceRetryPolicy policy);
  void SendFrame(const api::ClientFrame& frame) override;
  void After(Micros delay, std::function<void()> fn) override;
  void OnDelivered(Device&, const api::Message& m) override { delivered.push_back(m); }
  void OnBoxUpdate(Device&, const api::Update& u) override { box_updates.push_back(u); }
  void OnSent(Device&, const api::SentMessage& s) override { sent.push_back(s); }
  void OnError(Device&, const api::Error& e) override { errors.push_back(e); }
  void OnAuthorized(Device&, const api::Authorization& a) override { authorizations.push_back(a); }
  void OnServerFrame(Device&, const api::ServerFrame& f) override {
    if (on_frame) on_frame(f);
  }

  TestCluster* cluster;
  uint32_t gateway;
  ConnId conn = 0;
  bool open = false;   // the connection is up
  std::string source;  // the address it connects from; its own unless a test shares one
  Device core;
  std::vector<api::Message> delivered;
  std::vector<api::Update> box_updates;  // edits, deletions, read marks
  std::vector<api::SentMessage> sent;
  std::vector<api::Error> errors;
  std::vector<api::Authorization> authorizations;
  std::vector<api::ServerFrame> frames;                   // every frame the connection carried to the device
  std::function<void(const api::ServerFrame&)> on_frame;  // also given each of them, if set
};

class TestCluster {
 public:
  // How long the bus takes to notice that a group member crashed.
  static constexpr Micros kSessionTimeout = 10 * kSecond;

  // Every instance shape names, of the registry's roles, started.
  explicit TestCluster(ClusterShape shape, RoleRegistry& registry = RoleRegistry::Global(),
                       std::map<std::string, RoleSettings> settings = {});

  // Devices: Connect assigns a fresh connection on the device's gateway.
  // AddDevice gives the device a session of user (provisioned into the
  // auth stores, impl/auth/provision.h: the account exists, its phone is
  // ProvisionedPhone(user); the same (user, device) twice is the same
  // session); AddSignedOutDevice has none and signs in with a code.
  TestDevice& AddDevice(uint64_t user, uint64_t device, uint32_t gateway = 0, DeviceRetryPolicy policy = {});
  TestDevice& AddSignedOutDevice(uint32_t gateway = 0, DeviceRetryPolicy policy = {});
  void Connect(TestDevice& d);
  // Opens a connection for d without signing in.
  void Attach(TestDevice& d);
  void Disconnect(TestDevice& d);
  // Sends a frame on d's connection as is, bypassing its Device.
  void SendRaw(TestDevice& d, api::ClientFrame frame);
  // Puts e into the queue as if its sender had transmitted it.
  void Inject(Envelope e);

  // Bot API clients: an HTTP request on connection conn of botapi/index, as
  // its runtime would hand it over (request ids numbered per connection),
  // and the answers written to that connection so far.
  void BotRequest(uint32_t index, ConnId conn, api::BotCall call);
  std::vector<api::BotAnswer>& BotAnswers(uint32_t index, ConnId conn) { return bot_answers_[{index, conn}]; }

  // Lifecycle of an instance: a crash loses what is volatile and keeps the
  // store; a gateway's connections all drop, and it numbers new ones from 1
  // again. Restart is Crash then Start.
  void Crash(const Address& a);
  void Start(const Address& a);
  // An orderly stop: its bus partitions move at once.
  void Stop(const Address& a);
  void Restart(const Address& a);
  // Adds an instance of role to the running cluster: it starts with the
  // new shape, and every other running instance is told it (a reshape).
  void Grow(const std::string& role);
  // The highest instance of role leaves the shape; it keeps running (and
  // hands its data on), and every running instance is told.
  void Shrink(const std::string& role);

  // Delivers queued work and timers due now until none is left. Returns
  // the number of steps.
  size_t Run();
  // Advances time, firing due timers (and running what they queue).
  void Advance(Micros by);
  Micros now() const { return now_; }
  const ClusterShape& shape() const { return shape_; }

  InstanceHost& host(const Address& a) { return *instances_.at(a).host; }
  TestSubstrate& substrate(const Address& a) { return *instances_.at(a).substrate; }
  Service& service(const Address& a) { return host(a).core(); }
  template <typename T>
  T& As(const std::string& role, uint32_t index) {
    return dynamic_cast<T&>(service(MakeAddress(role, index)));
  }

  // Test hooks: drop every envelope for which drop(e) is true.
  std::function<bool(const Envelope&)> drop;
  // Sees the bytes of everything the cluster carries, as it is delivered:
  // envelopes and bus records as on the wire, client frames serialised.
  std::function<void(std::string_view)> wiretap;
  size_t bus_records() const;
  TestProviders sms{this, kSmsChannel};
  TestProviders push{this, kPushChannel};
  TestProviders email{this, kEmailChannel};
  TestProviders webhook{this, kWebhookChannel};
  TestOutbound outbound{&sms, &push, &email, &webhook};
  // Envelopes sent to an address no instance has (dropped, as live does).
  size_t undeliverable() const { return undeliverable_; }

 private:
  friend class TestSubstrate;
  friend class TestProviders;
  friend struct TestDevice;
  struct Instance {
    std::unique_ptr<TestSubstrate> substrate;
    std::unique_ptr<InstanceHost> host;
  };
  struct ToBus {
    std::string topic, key, payload;
  };
  struct ClientIn {
    uint32_t gateway;
    ConnId conn;
    api::ClientFrame frame;
  };
  struct ClientOut {
    uint32_t gateway;
    ConnId conn;
    api::ServerFrame frame;
  };
  struct ClientClose {
    uint32_t gateway;
    ConnId conn;
  };
  struct Rebalance {
    std::string group;
  };
  struct BotIn {
    uint32_t index;
    ConnId conn;
    api::ClientFrame frame;
  };
  using Work = std::variant<Envelope, ToBus, ClientIn, ClientOut, ClientClose, Rebalance, BotIn>;
  using PartitionKey = std::pair<std::string, uint32_t>;  // (topic, partition)
  using ConnKey = std::pair<uint32_t, ConnId>;            // (gateway, connection)
  void Deliver(Work& w);
  void Tap(const Work& w) const;
  void DeliverEnvelope(const Envelope& e);
  // Fires the earliest timer due at or before `until`; false if none.
  bool FireOne(Micros until);
  // Hands the partition's unhandled records to its group's consumer, if it is up.
  void DeliverRecords(const PartitionKey& key);
  void RebalanceGroup(const std::string& group);
  TestDevice* DeviceAt(uint32_t gateway, ConnId conn) const;

  void AddInstance(const Address& a);

  ClusterShape shape_;
  RoleRegistry* registry_;
  std::map<std::string, RoleSettings> settings_;
  uint64_t next_seed_ = 7;
  std::map<Address, Instance, AddressLess> instances_;
  std::deque<Work> queue_;
  std::map<ConnKey, TestDevice*> conns_;
  std::map<uint32_t, ConnId> next_conn_;                        // per gateway
  std::map<ConnKey, std::vector<api::BotAnswer>> bot_answers_;  // (botapi index, connection)
  std::map<ConnKey, uint64_t> bot_requests_;                    // ids given so far
  std::vector<std::unique_ptr<TestDevice>> devices_;
  std::map<PartitionKey, PartitionLog> bus_;
  std::map<std::string, ConsumerGroup> groups_;
  std::map<PartitionKey, int64_t> delivered_;  // next offset to give the partition's consumer
  size_t undeliverable_ = 0;
  Micros now_ = 0;
  Rng secrets_{99};  // provisioned credentials
  std::map<std::pair<uint64_t, uint64_t>, api::Authorization> sessions_;
  // Timers by (due time, order of scheduling).
  std::map<std::pair<Micros, uint64_t>, std::function<void()>> timers_;
  uint64_t timer_seq_ = 0;
};

}  // namespace msgbed::testing
