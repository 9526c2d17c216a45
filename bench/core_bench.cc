// Google Benchmarks of the sans-IO cores: the message and auth handlers (in
// their hosts) and the frame codec. Run: ./build/bench/core_bench  (figures in docs/benchmarks.md)
#include <benchmark/benchmark.h>

#include "auth/auth_service.h"
#include "auth/provision.h"
#include "core/frame_codec.h"
#include "core/mem_blob_store.h"
#include "core/mem_kv_store.h"
#include "crypto/e2e.h"
#include "host/instance_host.h"
#include "host/wire.h"
#include "messages/message_service.h"

namespace msgbed {
namespace {

// A substrate that keeps storage in memory and drops everything sent, so
// the benchmark measures the host's dispatch and the handler (its
// serialization included).
class SinkSubstrate final : public Substrate {
 public:
  Micros Now() const override { return 0; }
  Micros Date() const override { return 0; }
  void At(Micros, std::function<void()>) override {}
  void Transmit(Envelope e) override { benchmark::DoNotOptimize(e.ByteSize()); }
  void Publish(const std::string&, const std::string&, Envelope e) override {
    benchmark::DoNotOptimize(EncodeWire(e));  // as the live bus does
  }
  void JoinGroup(const std::string&, const std::vector<std::string>&) override {}
  void LeaveGroup(bool) override {}
  KvStore& Store() override { return kv_; }
  BlobStore& Blobs() override { return blobs_; }
  ClientPort* Clients() override { return nullptr; }
  bool Entropy(void*, size_t) override { return false; }
  OutboundPort* Outbound() override { return nullptr; }

 private:
  MemKvStore kv_;
  MemBlobStore blobs_;
};

// A message service instance, both boxes of every pair on it.
struct Messages {
  SinkSubstrate substrate;
  InstanceHost host{MakeAddress(role::kMessages, 0),
                    [](Env* env) { return std::make_unique<MessageService>(env, ClusterShape::Of(1, 1, 1)); },
                    &substrate, 1};
  Messages() { host.Start(); }
  void Call(Body body) {
    host.Deliver(Envelope{MakeAddress(role::kGateway, 0), MakeAddress(role::kMessages, 0), Envelope::Kind::kCall, 1,
                          rpc::CALL_OK, std::move(body)});
  }
};

Body SendRequest(uint64_t from, uint64_t to, uint64_t random_id, const std::string& text) {
  auto req = NewBody<messages::SendMessage>();
  *req->mutable_client()->mutable_gateway() = MakeAddress(role::kGateway, 0);
  req->mutable_client()->set_user(from);
  req->mutable_client()->set_device(1);
  req->mutable_send()->set_peer_user(to);
  req->mutable_send()->set_random_id(random_id);
  req->mutable_send()->set_text(text);
  return req;
}

// One private message, both boxes on the instance: two atomic box appends,
// two bus events serialised, one reply. Senders are spread over range(0)
// users in no order, as in a simulated run, so once the boxes outgrow the
// caches their reads and writes miss them.
void BM_SendMessage(benchmark::State& state) {
  Messages m;
  const std::string text(100, 'x');
  const auto users = static_cast<uint64_t>(state.range(0));
  uint64_t i = 0;
  for (auto _ : state) {
    const uint64_t from = 1 + (i * 2654435761u) % users;
    m.Call(SendRequest(from, 1 + from % users, i + 1, text));
    ++i;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SendMessage)->Arg(1000)->Arg(100000);

// getDifference returning `range(0)` updates of one box.
void BM_GetDifference(benchmark::State& state) {
  Messages m;
  const auto n = static_cast<uint32_t>(state.range(0));
  for (uint32_t i = 0; i < n; ++i) m.Call(SendRequest(1, 2, i + 1, std::string(100, 'x')));
  auto req = NewBody<messages::GetDifference>();
  req->mutable_client()->set_user(2);
  req->mutable_request()->set_pts(0);
  req->mutable_request()->set_limit(n);
  for (auto _ : state) m.Call(req);
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_GetDifference)->Arg(10)->Arg(100);

// An auth instance owning every phone and user (calls it makes are dropped).
struct Auth {
  SinkSubstrate substrate;
  InstanceHost host{MakeAddress(role::kAuth, 0),
                    [](Env* env) { return std::make_unique<AuthService>(env, ClusterShape::Of(1, 1, 1)); }, &substrate,
                    1};
  Auth() { host.Start(); }
  void Call(Body body) {
    host.Deliver(Envelope{MakeAddress(role::kGateway, 0), MakeAddress(role::kAuth, 0), Envelope::Kind::kCall, 1,
                          rpc::CALL_OK, std::move(body)});
  }
};

std::string BenchPhone(uint64_t i) { return std::to_string(447000000000 + i); }

// auth.sendCode: flood checks, a new code stored, the SMS handed on.
void BM_SendCode(benchmark::State& state) {
  Auth a;
  uint64_t i = 0;
  for (auto _ : state) {
    auto req = NewBody<auth::SendCode>();
    req->set_phone(BenchPhone(i++));
    a.Call(std::move(req));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SendCode);

// auth.signIn with the right code, at the phone's owner (up to its call to
// the user's owner).
void BM_SignInWithCode(benchmark::State& state) {
  Auth a;
  std::vector<std::shared_ptr<auth::SignIn>> requests;
  for (uint64_t i = 0; i < 100000; ++i) {
    auto send = NewBody<auth::SendCode>();
    send->set_phone(BenchPhone(i));
    a.Call(std::move(send));
    Status s;
    auth::PhoneRecord rec;
    rec.ParseFromString(*a.substrate.Store().Get(PhoneKey(BenchPhone(i)), &s));
    auto req = NewBody<auth::SignIn>();
    req->set_phone(BenchPhone(i));
    req->set_phone_code_hash(rec.code_hash());
    req->set_code(rec.code());
    req->set_sign_up(true);
    req->set_first_name("Ann");
    requests.push_back(std::move(req));
  }
  size_t i = 0;
  for (auto _ : state) a.Call(requests[i++ % requests.size()]);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SignInWithCode)->Iterations(100000);

// auth.OpenSession at the user's owner: an account and a session written,
// a credential drawn and hashed.
void BM_OpenSession(benchmark::State& state) {
  Auth a;
  uint64_t i = 0;
  for (auto _ : state) {
    auto req = NewBody<auth::OpenSession>();
    req->set_user(++i);
    req->set_create(true);
    req->set_phone(BenchPhone(i));
    a.Call(std::move(req));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_OpenSession);

// auth.Resume: what every connection of a signed-in device costs.
void BM_Resume(benchmark::State& state) {
  Auth a;
  std::vector<Body> requests;
  for (uint64_t u = 1; u <= 10000; ++u) {
    Status s;
    auto session = ProvisionSession([&](const Address&) -> KvStore& { return a.substrate.Store(); },
                                    ClusterShape::Of(1, 1, 1), u, 1, std::string(32, char(u)), 0, &s);
    auto req = NewBody<auth::Resume>();
    req->set_credential(session.credential());
    requests.push_back(std::move(req));
  }
  size_t i = 0;
  for (auto _ : state) a.Call(requests[i++ % requests.size()]);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Resume);

// Checking a cloud password at the default cost (Argon2id, 2 passes over
// 64 MiB): the price of two-step verification, per sign-in.
void BM_CheckPasswordDefaultCost(benchmark::State& state) {
  auth::PasswordHash stored;
  HashPassword("correct horse", std::string(16, 's'), PasswordCost{}, &stored);
  for (auto _ : state) benchmark::DoNotOptimize(CheckPassword("correct horse", stored));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CheckPasswordDefaultCost)->Unit(benchmark::kMillisecond);

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

// A secret chat's key agreement on one device, as client/secret_chats.cc
// does it: draw an X25519 key, sign it, check the other side's signature,
// agree, derive the chat key and the fingerprint.
static void BM_SecretHandshakeOneSide(benchmark::State& state) {
  const auto identity = e2e::IdentityKeyPair(std::string(32, 'i'));
  const auto peer = e2e::DhKeyPair(std::string(32, 'p'));
  const std::string peer_signature = e2e::Sign(*identity, peer->public_key);
  for (auto _ : state) {
    const auto mine = e2e::DhKeyPair(std::string(32, 'm'));
    benchmark::DoNotOptimize(e2e::Sign(*identity, mine->public_key));
    if (!e2e::Verify(identity->public_key, peer->public_key, peer_signature)) state.SkipWithError("verify");
    const auto shared = e2e::Agree(mine->secret_key, peer->public_key);
    const std::string key = e2e::Hash(*shared, {"key", peer->public_key, mine->public_key});
    benchmark::DoNotOptimize(e2e::Hash("", {"fingerprint", key, identity->public_key, identity->public_key}));
  }
}
BENCHMARK(BM_SecretHandshakeOneSide);

// Sealing and opening one secret payload of 100 bytes.
static void BM_SecretSealOpen(benchmark::State& state) {
  const std::string key(32, 'k'), nonce(24, 'n'), text(100, 't');
  for (auto _ : state) {
    const std::string sealed = e2e::Seal(key, nonce, "chat", text);
    benchmark::DoNotOptimize(e2e::Open(key, nonce, "chat", sealed));
  }
}
BENCHMARK(BM_SecretSealOpen);

}  // namespace
}  // namespace msgbed
