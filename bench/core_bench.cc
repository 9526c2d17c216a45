// Google Benchmarks of the sans-IO cores: the message handler and the frame
// codec. Run: ./build/bench/core_bench  (figures in docs/benchmarks.md)
#include <benchmark/benchmark.h>

#include "core/frame_codec.h"
#include "core/mem_kv_store.h"
#include "messages/message_service.h"

namespace msgbed {
namespace {

// An Env that keeps storage in memory and drops everything it sends, so the
// benchmark measures the handler alone (its serialization included).
class SinkEnv final : public Env {
 public:
  const rpc::Address& Self() const override { return self_; }
  Micros Now() const override { return 0; }
  TimerId StartTimer(Micros, std::function<void()>) override { return 1; }
  void CancelTimer(TimerId) override {}
  void Send(rpc::Envelope msg) override { benchmark::DoNotOptimize(msg.ByteSizeLong()); }
  void SendToClient(ConnId, const api::ServerFrame& f) override { benchmark::DoNotOptimize(f.ByteSizeLong()); }
  void CloseClient(ConnId, std::string_view) override {}
  void Publish(const std::string&, const std::string&, std::string payload) override {
    benchmark::DoNotOptimize(payload.data());
  }
  KvStore& Kv() override { return kv_; }
  Rng& Random() override { return rng_; }
  Metrics& Stats() override { return metrics_; }

 private:
  rpc::Address self_ = MakeAddress(role::kMessages, 0);
  MemKvStore kv_;
  Rng rng_{1};
  Metrics metrics_;
};

rpc::Envelope SendRequest(uint64_t from, uint64_t to, uint64_t random_id, const std::string& text) {
  rpc::Envelope e;
  *e.mutable_to() = MakeAddress(role::kMessages, 0);
  auto* req = e.mutable_send_message();
  rpc::ClientRef* client = req->mutable_origin()->mutable_client();
  *client->mutable_gateway() = MakeAddress(role::kGateway, 0);
  client->set_user(from);
  client->set_device(1);
  req->mutable_send()->set_peer_user(to);
  req->mutable_send()->set_random_id(random_id);
  req->mutable_send()->set_text(text);
  return e;
}

// One private message, both boxes on this instance: two atomic box appends,
// two bus events, one reply.
void BM_SendMessage(benchmark::State& state) {
  SinkEnv env;
  MessageService service(&env, ClusterShape{1, 1, 1, 8});
  const std::string text(100, 'x');
  uint64_t i = 0;
  for (auto _ : state) {
    service.OnMessage(SendRequest(1 + i % 1000, 1 + (i + 1) % 1000, i + 1, text));
    ++i;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SendMessage);

// getDifference returning `range(0)` updates of one box.
void BM_GetDifference(benchmark::State& state) {
  SinkEnv env;
  MessageService service(&env, ClusterShape{1, 1, 1, 8});
  const auto n = static_cast<uint32_t>(state.range(0));
  for (uint32_t i = 0; i < n; ++i) service.OnMessage(SendRequest(1, 2, i + 1, std::string(100, 'x')));
  rpc::Envelope e;
  *e.mutable_to() = MakeAddress(role::kMessages, 0);
  e.mutable_get_difference()->mutable_origin()->mutable_client()->set_user(2);
  e.mutable_get_difference()->mutable_request()->set_pts(0);
  e.mutable_get_difference()->mutable_request()->set_limit(n);
  for (auto _ : state) service.OnMessage(e);
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_GetDifference)->Arg(10)->Arg(100);

api::ClientFrame TextFrame() {
  api::ClientFrame f;
  f.set_request_id(42);
  f.mutable_send_message()->set_peer_user(123456);
  f.mutable_send_message()->set_random_id(0x1234567890abcdefull);
  f.mutable_send_message()->set_text(std::string(100, 'x'));
  return f;
}

// Serialize a client frame and frame it for the wire.
void BM_FrameEncode(benchmark::State& state) {
  const api::ClientFrame f = TextFrame();
  std::string out;
  for (auto _ : state) {
    out.clear();
    AppendFrame(f.SerializeAsString(), &out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(out.size()));
}
BENCHMARK(BM_FrameEncode);

// Decode and parse frames from a stream holding 1000 of them.
void BM_FrameDecode(benchmark::State& state) {
  std::string stream;
  for (int i = 0; i < 1000; ++i) AppendFrame(TextFrame().SerializeAsString(), &stream);
  for (auto _ : state) {
    FrameDecoder decoder;
    decoder.Feed(stream.data(), stream.size());
    std::string body;
    api::ClientFrame f;
    while (decoder.Next(&body) == FrameDecoder::Result::kFrame) f.ParseFromString(body);
    benchmark::DoNotOptimize(f.request_id());
  }
  state.SetItemsProcessed(state.iterations() * 1000);
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(stream.size()));
}
BENCHMARK(BM_FrameDecode);

}  // namespace
}  // namespace msgbed
