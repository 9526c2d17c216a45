// Env: everything a service core may do to the world. A core never touches
// sockets, threads, clocks, files or SimGrid; it calls its Env. One class
// implements it for every runtime (InstanceHost, impl/host) on top of a
// runtime's thin Substrate: the live runtime (Asio, librdkafka, RocksDB),
// the simulator (SimGrid) and the unit-test cluster.
//
// Thread rule: an Env and the core it serves are used from one thread (or
// one simulated actor) at a time. Calls never block and never call back into
// the core before returning.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/blob_store.h"
#include "core/envelope.h"
#include "core/kv_store.h"
#include "core/metrics.h"
#include "core/outbound.h"
#include "core/rng.h"
#include "core/time.h"
#include "proto/client_api.pb.h"

namespace msgbed {

// A client connection held by a gateway; unique within one run of it.
using ConnId = uint64_t;
using TimerId = uint64_t;
using CallDone = std::function<void(const CallResult&)>;

// The largest envelope (Envelope::ByteSize) each lane carries, the same in
// every runtime: an ordinary message fits a 1 MiB link frame with room for
// the wire's type name; a transfer up to 64 MiB. The host refuses a larger
// one: a one-way message is dropped and counted (host.too_large), a call
// ends with TOO_LARGE, a reply reaches the caller as TOO_LARGE.
inline constexpr size_t kMaxMessageBytes = (1u << 20) - 1024;
inline constexpr size_t kMaxTransferBytes = (64u << 20) - 1024;

// The client side of a role that has clients (the gateway): its runtime
// owns the connections; the core writes to and closes them by id.
class ClientPort {
 public:
  virtual ~ClientPort() = default;
  // frame by value: a runtime that keeps it (the simulator's, until it
  // arrives) takes it without a copy.
  virtual void SendToClient(ConnId conn, api::ServerFrame frame) = 0;
  // Sends what is queued for conn, then closes it; the core then gets
  // Service::OnClientClosed(conn), as for any close.
  virtual void CloseClient(ConnId conn, std::string_view reason) = 0;
};

class Env {
 public:
  virtual ~Env() = default;

  // This instance's address.
  virtual const Address& Self() const = 0;

  // Monotonic time since the runtime started: for timers and durations.
  virtual Micros Now() const = 0;
  // The date (microseconds since 1970-01-01 UTC), for what is stamped on
  // data; simulated runs start it at a fixed date.
  virtual Micros Date() const = 0;

  // Runs fn once, `delay` after now, on this core's thread, unless
  // cancelled first or the instance stops or crashes.
  virtual TimerId StartTimer(Micros delay, std::function<void()> fn) = 0;
  virtual void CancelTimer(TimerId id) = 0;

  // One-way message to the instance at `to`. Messages from one instance to
  // another arrive in the order they were sent. Delivery is best effort:
  // an unknown, crashed or unreachable instance loses them.
  virtual void Send(const Address& to, Body body) = 0;
  // A call: `done` runs exactly once, on this core's thread, with the
  // reply, or with DEADLINE_EXCEEDED after `deadline`, or UNAVAILABLE as
  // soon as the runtime knows the callee cannot be reached, or UNHANDLED,
  // or TOO_LARGE.
  // Not at all if this instance stops or crashes first.
  virtual void Call(const Address& to, Body body, Micros deadline, CallDone done) = 0;
  // A call on the bulk lane, for large bodies (media, replication): the
  // request and its reply each travel as a flow of their own, sharing the
  // network fairly with other transfers instead of queueing ahead of or
  // behind ordinary messages, and in no order with them. Otherwise exactly
  // as Call.
  virtual void Transfer(const Address& to, Body body, Micros deadline, CallDone done) = 0;
  // Answers a call received earlier (Incoming::reply_to), on the lane it
  // came on. Replying to a one-way message does nothing.
  virtual void Reply(const ReplyTo& to, Body body) = 0;

  // Publishes body on the bus: appended to topic, in the partition
  // PartitionOfKey(key, partitions), and handed to the handler for its
  // type in whichever instance consumes that partition (Incoming::partition
  // says which). Messages of one partition are handled in the order they
  // were published, at least once.
  virtual void Publish(const std::string& topic, const std::string& key, Body body) = 0;
  // A call through the bus: published as above; the consumer's handler may
  // Reply, and `done` then runs with its answer, exactly as for Call
  // (DEADLINE_EXCEEDED if no consumer answers within `deadline`).
  virtual void CallOnBus(const std::string& topic, const std::string& key, Body body, Micros deadline,
                         CallDone done) = 0;
  // While a partition assigned to this instance is held, its messages wait
  // (none reaches a handler) and none counts as handled: if a rebalance
  // takes the partition away first, its next consumer gets them all.
  // Releasing hands the waiting ones to their handlers, in order. A
  // partition revoked, or the instance stopped, is no longer held.
  virtual void HoldPartition(const std::string& topic, uint32_t partition) = 0;
  virtual void ReleasePartition(const std::string& topic, uint32_t partition) = 0;

  // The client port, for roles that have clients; nullptr otherwise.
  virtual ClientPort* Clients() = 0;
  // Durable: what a core writes here survives its crash and restart.
  virtual KvStore& Kv() = 0;
  // Durable as Kv: large immutable bytes (media) named by their SHA-256.
  virtual BlobStore& Blobs() = 0;
  // This instance's random stream, seeded by the runtime: for decisions
  // (jitter, sampling), never for secrets.
  virtual Rng& Random() = 0;
  // n unpredictable bytes, for secrets (credentials, codes, salts): the
  // operating system's CSPRNG live; in simulated and test runs, which must
  // be reproducible and hold no real secrets, a seeded stream of its own.
  virtual std::string SecretBytes(size_t n) = 0;
  // Providers that reach people outside the system (SMS).
  virtual OutboundPort& Outbound() = 0;
  virtual Metrics& Stats() = 0;
};

// One record consumed from the bus.
struct BusRecord {
  std::string topic;
  uint32_t partition = 0;
  int64_t offset = 0;
  std::string key;
  std::string payload;  // an rpc.Wire (host/wire.h)
  // An in-process bus (the simulator's) may carry the record as it was
  // published instead: then payload is empty, this is what it decodes to,
  // and wire_bytes is the size payload would have.
  std::shared_ptr<const Envelope> decoded = nullptr;
  size_t wire_bytes = 0;
};

}  // namespace msgbed
