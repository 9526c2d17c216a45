// Env: everything a service core may do to the world. A core never touches
// sockets, threads, clocks, files or SimGrid; it calls its Env. Two runtimes
// implement it: impl/live (Asio, librdkafka, RocksDB) and sim/ (SimGrid).
//
// Thread rule: an Env and the core it serves are used from one thread (or
// one simulated actor) at a time. Calls never block and never call back into
// the core before returning.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "core/kv_store.h"
#include "core/metrics.h"
#include "core/rng.h"
#include "core/time.h"
#include "proto/client_api.pb.h"
#include "proto/rpc.pb.h"

namespace msgbed {

// A client connection held by a gateway; unique within that gateway.
using ConnId = uint64_t;
using TimerId = uint64_t;

class Env {
 public:
  virtual ~Env() = default;

  // This instance's address.
  virtual const rpc::Address& Self() const = 0;

  virtual Micros Now() const = 0;

  // Runs fn once, `delay` after now, on this core's thread. Returns an id for CancelTimer.
  virtual TimerId StartTimer(Micros delay, std::function<void()> fn) = 0;
  virtual void CancelTimer(TimerId id) = 0;

  // Sends msg to the instance at msg.to(); from() is filled in by the runtime.
  // Messages between two instances arrive in the order they were sent.
  // Delivery is best effort: a crashed or unreachable peer loses them.
  virtual void Send(rpc::Envelope msg) = 0;

  // Gateways only: writes a frame to, or closes, one of this gateway's client connections.
  virtual void SendToClient(ConnId conn, const api::ServerFrame& frame) = 0;
  virtual void CloseClient(ConnId conn, std::string_view reason) = 0;

  // Appends payload to topic, in the partition PartitionOfKey(key, partitions).
  // Records of one partition are consumed in the order they were published.
  virtual void Publish(const std::string& topic, const std::string& key, std::string payload) = 0;

  virtual KvStore& Kv() = 0;
  virtual Rng& Random() = 0;
  virtual Metrics& Stats() = 0;
};

// One record consumed from the bus.
struct BusRecord {
  std::string topic;
  uint32_t partition = 0;
  int64_t offset = 0;
  std::string key;
  std::string payload;
};

}  // namespace msgbed
