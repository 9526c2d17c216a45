// TestCluster: runs service cores and devices in one thread through a test
// Env. Every send, publish and client frame goes into one FIFO queue; Run()
// delivers until the queue is empty. Time moves only when a test says so.
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
#include "core/mem_kv_store.h"
#include "core/service.h"

namespace msgbed::testing {

class TestCluster;

class TestEnv final : public Env {
 public:
  TestEnv(TestCluster* cluster, rpc::Address self) : cluster_(cluster), self_(std::move(self)), rng_(7) {}
  const rpc::Address& Self() const override { return self_; }
  Micros Now() const override;
  TimerId StartTimer(Micros delay, std::function<void()> fn) override;
  void CancelTimer(TimerId id) override;
  void Send(rpc::Envelope msg) override;
  void SendToClient(ConnId conn, const api::ServerFrame& frame) override;
  void CloseClient(ConnId conn, std::string_view reason) override;
  void Publish(const std::string& topic, const std::string& key, std::string payload) override;
  KvStore& Kv() override { return kv_; }
  Rng& Random() override { return rng_; }
  Metrics& Stats() override { return metrics_; }

  MemKvStore kv_;
  Metrics metrics_;
  std::vector<std::string> closed_reasons_;

 private:
  TestCluster* cluster_;
  rpc::Address self_;
  Rng rng_;
};

// A device attached to a gateway of the cluster, recording what it saw.
struct TestDevice : Device::Link, Device::Observer {
  TestDevice(TestCluster* c, uint64_t user, uint64_t device, uint32_t gateway);
  void SendFrame(const api::ClientFrame& frame) override;
  void OnDelivered(Device&, const api::Message& m) override { delivered.push_back(m); }
  void OnSent(Device&, const api::SentMessage& s) override { sent.push_back(s); }
  void OnError(Device&, const api::Error& e) override { errors.push_back(e); }

  TestCluster* cluster;
  uint32_t gateway;
  ConnId conn = 0;
  bool open = false;  // the connection is up
  Device core;
  std::vector<api::Message> delivered;
  std::vector<api::SentMessage> sent;
  std::vector<api::Error> errors;
  std::vector<api::ServerFrame> frames;  // every frame the connection carried to the device
};

class TestCluster {
 public:
  explicit TestCluster(ClusterShape shape);

  // Devices: Connect assigns a fresh connection on the device's gateway.
  TestDevice& AddDevice(uint64_t user, uint64_t device, uint32_t gateway = 0);
  void Connect(TestDevice& d);
  // Opens a connection for d without signing in.
  void Attach(TestDevice& d);
  void Disconnect(TestDevice& d);
  // Sends a frame on d's connection as is, bypassing its Device.
  void SendRaw(TestDevice& d, api::ClientFrame frame);

  // Crashes the instance at a and starts it again on the same store: its
  // timers and in-memory state are gone, its Kv is kept. A gateway's
  // connections all drop, and it numbers new ones from 1 again.
  void Restart(const rpc::Address& a);

  // Delivers queued work until none is left. Returns the number of steps.
  size_t Run();
  // Advances time, firing due timers (and running what they queue).
  void Advance(Micros by);

  Service& service(const rpc::Address& a) { return *services_.at(a).service; }
  TestEnv& env(const rpc::Address& a) { return *services_.at(a).env; }
  template <typename T>
  T& As(const std::string& role, uint32_t index) {
    return dynamic_cast<T&>(service(MakeAddress(role, index)));
  }

  // Test hooks: drop every envelope for which drop(msg) is true.
  std::function<bool(const rpc::Envelope&)> drop;
  size_t bus_records() const { return bus_offset_; }
  // Envelopes sent to an address no instance has (dropped, as live does).
  size_t undeliverable() const { return undeliverable_; }

 private:
  friend class TestEnv;
  friend struct TestDevice;
  struct Hosted {
    std::unique_ptr<TestEnv> env;
    std::unique_ptr<Service> service;
  };
  struct ToService {
    rpc::Envelope msg;
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
  using Work = std::variant<ToService, ToBus, ClientIn, ClientOut, ClientClose>;
  using ConnKey = std::pair<uint32_t, ConnId>;  // (gateway, connection)
  void Deliver(Work& w);
  std::unique_ptr<Service> Make(const rpc::Address& a, Env* env) const;
  TestDevice* DeviceAt(uint32_t gateway, ConnId conn) const;

  ClusterShape shape_;
  std::map<rpc::Address, Hosted, AddressLess> services_;
  std::deque<Work> queue_;
  std::map<ConnKey, TestDevice*> conns_;
  std::map<uint32_t, ConnId> next_conn_;  // per gateway
  std::vector<std::unique_ptr<TestDevice>> devices_;
  int64_t bus_offset_ = 0;
  size_t undeliverable_ = 0;
  Micros now_ = 0;
  struct Timer {
    Micros at;
    rpc::Address owner;
    std::function<void()> fn;
  };
  std::map<TimerId, Timer> timers_;
  TimerId next_timer_ = 1;
};

}  // namespace msgbed::testing
