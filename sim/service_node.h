// ServiceNode: one simulated service instance. It is the Substrate under the
// instance's InstanceHost (impl/host): messages become network messages
// sized by their serialized bytes, each charged at the receiver the CPU the
// scenario's cost table gives its type; storage is a MemKvStore whose write
// batches are charged as I/O; the bus is the KafkaModel, reached through a batching KafkaProducer. Gateways are also
// their population's client port.
#pragma once

#include <google/protobuf/descriptor.h>

#include <memory>
#include <unordered_map>
#include <unordered_set>

#include "client_side.h"
#include "core/mem_blob_store.h"
#include "core/mem_kv_store.h"
#include "host/instance_host.h"
#include "kafka_producer.h"
#include "node.h"
#include "roles/registry.h"
#include "service_time.h"

namespace msgbed::sim {

class ServiceNode final : public Node, public Substrate, public ClientPort {
 public:
  // Throws ScenarioError when the scenario's cost table lacks a cost for a
  // request the role serves.
  ServiceNode(World* world, const RoleSpec& role, Address self, const Placement& at, uint64_t seed);

  InstanceHost& host() { return host_; }
  const InstanceHost& host() const { return host_; }
  const RoleSpec& role() const { return role_; }
  MemKvStore& store() { return store_; }
  // Starts the instance, then checks that everything its core handles has
  // a cost (throws ScenarioError if not).
  void StartInstance();
  // Crashes the instance. Its client connections drop with it, as a
  // crashed process's sockets do: each population hears of the close.
  void CrashInstance();
  // Refuse calls and client requests once this many wait for a worker
  // (0: never). A refused call is answered OVERLOADED, a refused client
  // request UNAVAILABLE, at no worker's time; counted as sim.refused.
  void SetQueueLimit(uint32_t limit) { queue_limit_ = limit; }
  // The CPU this node is charged for handling e: a draw of its service time.
  double CostOf(const Envelope& e);
  // CPU to consume record: "<role>.record" plus the cost of the message type it carries.
  double RecordCost(const BusRecord& r);

  // Substrate
  Micros Now() const override;
  Micros Date() const override;
  void At(Micros at, std::function<void()> fn) override;
  void Transmit(Envelope e) override;
  void Publish(const std::string& topic, const std::string& key, Envelope e) override;
  void JoinGroup(const std::string& group, const std::vector<std::string>& topics) override;
  void LeaveGroup(bool orderly) override;
  KvStore& Store() override { return kv_; }
  BlobStore& Blobs() override { return charged_blobs_; }
  // The bytes the instance's media holds, uncharged (for the summary).
  const MemBlobStore& blob_store() const { return blobs_; }
  ClientPort* Clients() override { return role_.has_clients ? this : nullptr; }
  bool Entropy(void*, size_t) override { return false; }  // reproducible: the host's seeded stream
  OutboundPort* Outbound() override { return &outbound_; }

  // ClientPort (gateways): frames go to the population of this gateway.
  void SendToClient(ConnId conn, api::ServerFrame frame) override;
  void CloseClient(ConnId conn, std::string_view reason) override;
  // From the population: a device connects, or sends a frame. A frame for
  // a connection this side closed is dropped, as a closed socket would.
  void ClientOpened(ConnId conn, const std::string& source);
  // The device closed connection conn.
  void ClientClosed(ConnId conn);
  void ClientFrame(ConnId conn, const api::ClientFrame& frame);

 private:
  // Charges each write batch as storage I/O on the node: on the host's
  // disk if it has one (reads too, unless the block cache has them), else
  // the flat storage.write (reads free).
  class ChargedKv final : public KvStore {
   public:
    explicit ChargedKv(ServiceNode* node) : node_(node) {}
    std::optional<std::string> Get(std::string_view key, Status* s) override;
    Status Write(const WriteBatch& batch) override;
    Status Scan(std::string_view from, std::string_view to, size_t limit, Entries* out) override;
    Status ScanBack(std::string_view from, std::string_view to, size_t limit, Entries* out) override;

   private:
    // A scan's status, after charging the bytes it read.
    Status Charged(Status s, const Entries& out);
    ServiceNode* node_;
  };

  // Charges blob I/O as ChargedKv does, by the bytes moved: a part written,
  // a seal (its parts read, the blob written), a range read.
  class ChargedBlobs final : public BlobStore {
   public:
    explicit ChargedBlobs(ServiceNode* node) : node_(node) {}
    Status PutPart(std::string_view upload, uint32_t part, std::string_view bytes) override;
    Status ReadPart(std::string_view upload, uint32_t part, std::string* out) override;
    Status Seal(std::string_view upload, uint32_t parts, std::string_view sha256) override;
    Status DropUpload(std::string_view upload) override;
    Status Read(std::string_view sha256, uint64_t offset, uint64_t limit, std::string* out) override;
    Status Delete(std::string_view sha256) override;

   private:
    ServiceNode* node_;
  };

  // Storage I/O of this node: a write of `bytes` (an error if a disk fault
  // of the scenario refuses it), a read unless the block cache serves it.
  Status ChargeWrite(size_t bytes);
  void ChargeRead(size_t bytes);

  // The run's SMS and push providers (World::sms, World::push), answering
  // on this node.
  class RunProviders final : public OutboundPort {
   public:
    explicit RunProviders(ServiceNode* node) : node_(node) {}
    size_t Providers(std::string_view channel) const override;
    void Deliver(std::string_view channel, size_t index, const OutboundMessage& message, Done done) override;

   private:
    ServiceNode* node_;
  };

  const RoleSpec& role_;
  RunProviders outbound_{this};
  MemKvStore store_;
  ChargedKv kv_{this};
  MemBlobStore blobs_;
  ChargedBlobs charged_blobs_{this};
  // CPU per request type served, and per reply to one of this node's calls.
  std::unordered_map<const google::protobuf::Descriptor*, const ServiceTime*> request_costs_;
  const ServiceTime* reply_cost_ = nullptr;
  const ServiceTime* record_cost_ = nullptr;  // "<role>.record", if the table has it
  // Sends e to dst, held back `delay` first (a link fault).
  void Carry(ServiceNode& dst, Envelope e, double delay);
  // From inside the running item: whether it may have a worker; if not,
  // it is shed and counted.
  bool Admit();
  // Tells the instance's clients conn is closed.
  void ClosedByGateway(ConnId conn);
  // The instance's clients (World::clients). REQUIRES: its role has them.
  ClientSide& ClientNode();

  uint32_t queue_limit_ = 0;
  std::unordered_set<ConnId> open_clients_;
  ClientSide* clients_ = nullptr;  // ClientNode(), once asked
  KafkaProducer producer_{world_, this};
  InstanceHost host_;
};

}  // namespace msgbed::sim
