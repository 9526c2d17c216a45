#include "conformance/probe_role.h"

#include <algorithm>
#include <map>

#include "conformance/probe.pb.h"

namespace msgbed::probe {

namespace {

class ProbeService final : public Service {
 public:
  ProbeService(Env* env, ClusterShape shape, int act) : env_(env), shape_(std::move(shape)), act_(act) { Begin(); }

  void Register(Handlers& h) override {
    h.On(this, &ProbeService::OnSeq);
    h.On(this, &ProbeService::OnEcho);
    h.On(this, &ProbeService::OnSilent);
    h.On(this, &ProbeService::OnBlob);
    h.On(this, &ProbeService::OnNote);
  }
  // Instance 1 alone consumes: its group gives it every partition.
  std::vector<std::string> Topics() const override {
    if ((act_ == 4 || act_ == 8) && index() == 1) return {kTopic};
    return {};
  }
  void OnNote(const Incoming&, const Note& r) {
    if (act_ == 8) return Tally(r);
    uint64_t& last = last_by_key_[r.key()];
    if (r.n() != last + 1) Gauge("probe.bus_out_of_order", Get("probe.bus_out_of_order") + 1);
    last = r.n();
    Gauge("probe.records", Get("probe.records") + 1);
  }

 private:
  uint32_t index() const { return env_->Self().index(); }
  Address Peer(uint32_t i) const { return MakeAddress(kRole, i); }
  void Gauge(const std::string& name, int64_t v) { env_->Stats().Set(name, v); }
  int64_t Get(const std::string& name) const { return env_->Stats().Get(name); }

  void Begin() {
    switch (act_) {
      case 1:
        if (index() == 0) {
          for (uint64_t n = 1; n <= kOrderCount; ++n) {
            auto seq = NewBody<Seq>();
            seq->set_n(n);
            env_->Send(Peer(1), seq);
          }
        }
        break;
      case 2: Timers(); break;
      case 3:
        if (index() == 0) Calls();
        break;
      case 4:
        if (index() == 0) {
          for (uint64_t n = 1; n <= kBusCount; ++n) PublishRecord(n);
        }
        break;
      case 5: Boot(); break;
      case 6:
        if (index() == 0) Lanes();
        break;
      case 7:
        if (index() != 1) Flow();
        break;
      case 8:
        // Slow enough that the consumer's restart falls mid-stream, even
        // live, where a consumer group's join takes seconds.
        if (index() == 0) PublishEvery(50 * kMillisecond, 1);
        // What it tallied before a restart shows at once, even if every
        // record was handled then and none is left to read.
        if (index() == 1) ShowTallies();
        break;
      case 9:
        if (index() == 0) Burst();
        break;
      default: break;
    }
  }

  void Timers() {
    env_->StartTimer(20 * kMillisecond, [this] { Fired(1); });
    const TimerId cancelled = env_->StartTimer(40 * kMillisecond, [this] { Fired(2); });
    env_->StartTimer(60 * kMillisecond, [this] {
      Gauge("probe.order_ok", (Get("probe.fired") & 1) ? 1 : 0);
      Fired(4);
    });
    env_->CancelTimer(cancelled);
  }
  void Fired(int bit) { Gauge("probe.fired", Get("probe.fired") | bit); }

  // Each callback checks it runs after its Call returned, and only once.
  CallDone Once(const std::string& name, std::function<void(const CallResult&)> check) {
    auto done = std::make_shared<int>(0);
    return [this, name, check, done](const CallResult& r) {
      if (in_call_) Gauge("probe.early_done", Get("probe.early_done") + 1);
      if (++*done > 1) return Gauge("probe.extra_done", Get("probe.extra_done") + 1);
      check(r);
    };
  }
  void Call(const Address& to, Body body, Micros deadline, CallDone done) {
    in_call_ = true;
    env_->Call(to, std::move(body), deadline, std::move(done));
    in_call_ = false;
  }

  void Calls() {
    auto echo = NewBody<Echo>();
    echo->set_n(42);
    Call(Peer(1), echo, kSecond, Once("echo", [this](const CallResult& r) {
           const Echo* back = r.As<Echo>();
           Gauge("probe.echoed", back ? static_cast<int64_t>(back->n()) : -1);
         }));
    Call(Peer(1), NewBody<Silent>(), 50 * kMillisecond, Once("silent", [this](const CallResult& r) {
           Gauge("probe.deadline", r.error == rpc::DEADLINE_EXCEEDED ? 1 : -1);
         }));
    Call(Peer(9), NewBody<Echo>(), kSecond, Once("nobody", [this](const CallResult& r) {
           Gauge("probe.unavailable", r.error == rpc::UNAVAILABLE ? 1 : -1);
         }));
    Call(Peer(1), NewBody<Stray>(), kSecond,
         Once("stray", [this](const CallResult& r) { Gauge("probe.unhandled", r.error == rpc::UNHANDLED ? 1 : -1); }));
    env_->Send(Peer(9), NewBody<Seq>());  // one-way to nobody: dropped, counted by the host
  }

  static std::shared_ptr<Blob> MakeBlob(uint64_t n, uint64_t bytes, uint64_t reply_bytes) {
    auto blob = NewBody<Blob>();
    blob->set_n(n);
    blob->set_data(std::string(bytes, static_cast<char>('a' + n % 26)));
    blob->set_reply_bytes(reply_bytes);
    return blob;
  }
  static bool Intact(const Blob& b) {
    return std::all_of(b.data().begin(), b.data().end(),
                       [&](char c) { return c == static_cast<char>('a' + b.n() % 26); });
  }
  static int64_t ErrorIs(const CallResult& r, rpc::CallError e) { return r.error == e ? 1 : -1; }

  void Lanes() {
    env_->Transfer(Peer(1), MakeBlob(7, kTransferBytes, kTransferReplyBytes), 10 * kSecond,
                   Once("transfer", [this](const CallResult& r) {
                     const Blob* back = r.As<Blob>();
                     Gauge("probe.transferred", back && Intact(*back) ? static_cast<int64_t>(back->data().size()) : -1);
                   }));
    auto seq = NewBody<Seq>();
    seq->set_n(1);
    env_->Send(Peer(1), seq);
    Call(Peer(1), MakeBlob(8, kTransferBytes, 0), kSecond,
         Once("big call", [this](const CallResult& r) { Gauge("probe.call_too_large", ErrorIs(r, rpc::TOO_LARGE)); }));
    env_->Transfer(Peer(1), MakeBlob(9, kMaxTransferBytes + 1, 0), kSecond,
                   Once("huge transfer", [this](const CallResult& r) {
                     Gauge("probe.transfer_too_large", ErrorIs(r, rpc::TOO_LARGE));
                   }));
    Call(Peer(1), MakeBlob(10, 0, kTransferReplyBytes), 5 * kSecond, Once("big reply", [this](const CallResult& r) {
           Gauge("probe.reply_too_large", ErrorIs(r, rpc::TOO_LARGE));
         }));
  }

  void Burst() {
    for (uint64_t n = 1; n <= kBurstCount; ++n) {
      env_->Transfer(Peer(1), MakeBlob(n, kBurstBytes, 0), 30 * kSecond, [this](const CallResult& r) {
        if (r.As<Blob>()) Gauge("probe.burst_ok", Get("probe.burst_ok") + 1);
      });
    }
  }

  // Record n of kBusCount: key k<n % 4>, payload its number within that key.
  void PublishRecord(uint64_t n) {
    auto note = NewBody<Note>();
    note->set_key("k" + std::to_string(n % 4));
    note->set_n((n + 3) / 4);
    const std::string key = note->key();
    env_->Publish(kTopic, key, std::move(note));
  }
  void PublishEvery(Micros period, uint64_t n) {
    PublishRecord(n);
    if (n < kBusCount) env_->StartTimer(period, [this, period, n] { PublishEvery(period, n + 1); });
  }

  // Durable: the live runtime's restart is a new process, whose counters start afresh.
  int64_t Stored(const std::string& key) {
    Status s;
    const auto v = env_->Kv().Get(key, &s);
    return v ? std::stoll(*v) : 0;
  }
  void Tally(const Note& r) {
    const auto n = static_cast<int64_t>(r.n());
    const int64_t last = Stored("last/" + r.key());
    const char* what = n <= last ? "probe.bus_duplicates" : n == last + 1 ? "probe.bus_distinct" : "probe.bus_gaps";
    WriteBatch batch;
    const int64_t count = Stored(what) + 1;
    batch.Put(what, std::to_string(count));
    if (n > last) batch.Put("last/" + r.key(), std::to_string(n));
    env_->Kv().Write(batch);
    ShowTallies();
  }
  void ShowTallies() {
    for (const char* name : {"probe.bus_duplicates", "probe.bus_distinct", "probe.bus_gaps"}) Gauge(name, Stored(name));
  }

  void Flow() {
    env_->Transfer(Peer(1), MakeBlob(index(), kFlowBytes, 0), 10 * kSecond, [](const CallResult&) {});
    env_->Send(Peer(1), NewBody<Seq>());
  }

  void Boot() {
    Status s;
    const auto stored = env_->Kv().Get("boots", &s);
    const int64_t boots = (stored ? std::stoll(*stored) : 0) + 1;
    WriteBatch batch;
    batch.Put("boots", std::to_string(boots));
    env_->Kv().Write(batch);
    Gauge("probe.boots", boots);
    env_->StartTimer(300 * kMillisecond, [this, boots] { Gauge("probe.timer_boot", boots); });
  }

  void OnSeq(const Incoming&, const Seq& seq) {
    if (!Get("probe.first_seq_at_us")) Gauge("probe.first_seq_at_us", env_->Now());
    if (seq.n() != last_seq_ + 1) Gauge("probe.out_of_order", Get("probe.out_of_order") + 1);
    last_seq_ = seq.n();
    Gauge("probe.received", Get("probe.received") + 1);
  }
  void OnEcho(const Incoming& in, const Echo& e) {
    auto back = NewBody<Echo>();
    back->set_n(e.n());
    env_->Reply(in.reply_to, back);
  }
  void OnSilent(const Incoming&, const Silent&) {}
  void OnBlob(const Incoming& in, const Blob& b) {
    if (Intact(b)) Gauge("probe.blob_bytes", Get("probe.blob_bytes") + static_cast<int64_t>(b.data().size()));
    Gauge("probe.last_blob_at_us", env_->Now());
    env_->Reply(in.reply_to, MakeBlob(b.n(), b.reply_bytes(), 0));
  }

  Env* env_;
  const ClusterShape shape_;
  const int act_;
  bool in_call_ = false;
  uint64_t last_seq_ = 0;
  std::map<std::string, uint64_t> last_by_key_;
};

}  // namespace

RoleSpec ProbeRole() {
  using K = SettingSpec::Kind;
  RoleSpec spec;
  spec.name = kRole;
  spec.summary = "a toy role of the tests (conformance suite)";
  spec.required = false;
  spec.uses_bus = true;
  spec.topics = {kTopic};
  spec.serves = {{Seq::descriptor(), 5e-6},
                 {Echo::descriptor(), 5e-6},
                 {Silent::descriptor(), 5e-6},
                 {Blob::descriptor(), 5e-6},
                 {Note::descriptor(), 5e-6}};
  spec.other_costs = {{"reply", 5e-6}, {"record", 5e-6}};
  spec.settings = {{"act", K::kCount, 1,
                    "what to do at start (1 order, 2 timers, 3 calls, 4 bus, 5 crash, 6 lanes, 7 flows, 8 bus across a "
                    "crash, 9 burst)"}};
  spec.make = [](Env* env, const ClusterShape& shape, const RoleSettings& settings) {
    const int act = static_cast<int>(SettingOr(RoleRegistry::Global().Get(kRole), settings, "act"));
    return std::make_unique<ProbeService>(env, shape, act);
  };
  return spec;
}

void RegisterProbe() {
  if (!RoleRegistry::Global().Find(kRole)) RoleRegistry::Global().Add(ProbeRole());
}

}  // namespace msgbed::probe
