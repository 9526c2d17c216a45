// live_media_bench: upload and download MB/s of the media service on
// loopback, end to end through a gateway (client frames, the bulk lane,
// the FileBlobStore on disk), and the time a second upload of the same
// bytes takes (answered by hash). docs/benchmarks.md records the figures.
//   ./build/bench/live_media_bench --mib 64
#include <CLI/CLI.hpp>
#include <chrono>
#include <iostream>
#include <random>

#include "client/file_upload.h"
#include "live/device_connection.h"
#include "live_deployment.h"

namespace msgbed::live {
namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  uint64_t mib = 64;
  uint32_t window = 4;  // download ranges in flight
  bool sync = false;
};

// One device's answers, handed to whatever waits for them.
struct Answers final : Device::Observer {
  FileUpload* upload = nullptr;
  std::map<uint64_t, api::ServerFrame> frames;  // by request id, for downloads
  bool synced = false;
  void OnSynced(Device&) override { synced = true; }
  void OnServerFrame(Device&, const api::ServerFrame& f) override {
    if (!upload || !upload->OnAnswer(f.request_id(), f)) frames[f.request_id()] = f;
  }
};

class Bench {
 public:
  Bench(const Options& o, LiveDeployment& d) : o_(o), d_(d) {}

  int Run() {
    std::mt19937_64 rng(1);
    std::string file(o_.mib << 20, '\0');
    for (char& c : file) c = static_cast<char>(rng());
    auto a = Connect(1, &a_);
    auto b = Connect(2, &b_);
    if (!a || !b) return 1;
    const auto up = Upload(*a, a_, file, 1);
    const auto again = Upload(*b, b_, file, 2);
    if (!up.document || !again.document) return 1;
    const auto start = Clock::now();
    const std::string down = Download(*b, b_, *again.document, file.size());
    const double down_s = std::chrono::duration<double>(Clock::now() - start).count();
    if (down != file) {
      std::cerr << "the download differs from the upload\n";
      return 1;
    }
    const double mb = static_cast<double>(file.size()) / 1e6;
    std::cout << "live media on loopback: " << o_.mib << " MiB file, storage sync "
              << (o_.sync ? "on (RocksDB and blob files fsynced)" : "off") << "\n  upload   " << up.seconds << " s, "
              << mb / up.seconds << " MB/s (" << up.parts
              << " parts of 512 KiB, 4 in flight)\n  same bytes again, by hash: " << again.seconds * 1e3 << " ms, "
              << again.parts << " parts sent\n  download " << down_s << " s, " << mb / down_s
              << " MB/s (ranges of 512 KiB, " << o_.window << " in flight)\n";
    return 0;
  }

 private:
  struct Uploaded {
    std::optional<api::Document> document;
    double seconds = 0;
    uint32_t parts = 0;
  };

  std::unique_ptr<DeviceConnection> Connect(uint64_t user, Answers* answers) {
    auto c = std::make_unique<DeviceConnection>(io_, d_.sessions().at({user, 1}), answers);
    c->Connect("127.0.0.1", d_.port());
    if (!RunUntil([&] { return answers->synced; })) {
      std::cerr << "user " << user << " never synced\n";
      return nullptr;
    }
    return c;
  }

  Uploaded Upload(DeviceConnection& c, Answers& answers, const std::string& file, uint64_t file_id) {
    FileUpload up(file_id, file, "bench.bin", "application/octet-stream",
                  [&](api::ClientFrame f) { return c.device().Request(std::move(f)); });
    answers.upload = &up;
    const auto start = Clock::now();
    up.Start();
    const bool done = RunUntil([&] { return up.done() || up.stalled(); });
    answers.upload = nullptr;
    Uploaded out{up.document(), std::chrono::duration<double>(Clock::now() - start).count(), up.parts_sent()};
    if (!done || !up.document())
      std::cerr << "upload failed: " << (up.error() ? up.error()->message() : "stalled") << "\n";
    return out;
  }

  std::string Download(DeviceConnection& c, Answers& answers, const api::Document& doc, uint64_t size) {
    constexpr uint32_t kRange = 512 * 1024;
    std::map<uint64_t, uint64_t> offset_of;  // request id -> offset
    std::string out(size, '\0');
    uint64_t next = 0, received = 0;
    auto ask = [&] {
      api::ClientFrame f;
      auto* g = f.mutable_get_file();
      g->set_sha256(doc.sha256());
      g->set_document_id(doc.id());
      g->set_file_reference(doc.file_reference());
      g->set_offset(next);
      g->set_limit(kRange);
      offset_of[c.device().Request(std::move(f))] = next;
      next += kRange;
    };
    for (uint32_t i = 0; i < o_.window && next < size; ++i) ask();
    while (received < size) {
      if (!RunUntil([&] { return !answers.frames.empty(); })) return "";
      auto node = answers.frames.extract(answers.frames.begin());
      auto it = offset_of.find(node.key());
      if (it == offset_of.end()) continue;  // an answer to something else (the sign-in, a sync)
      if (!node.mapped().has_file_part()) {
        std::cerr << "download: " << node.mapped().ShortDebugString().substr(0, 200) << "\n";
        return "";
      }
      const std::string& bytes = node.mapped().file_part().bytes();
      out.replace(it->second, bytes.size(), bytes);
      received += bytes.size();
      offset_of.erase(it);
      if (next < size) ask();
    }
    return out;
  }

  bool RunUntil(const std::function<bool()>& pred) {
    const auto deadline = Clock::now() + std::chrono::minutes(5);
    while (!pred() && Clock::now() < deadline) io_.run_one_for(std::chrono::milliseconds(100));
    return pred();
  }

  const Options o_;
  LiveDeployment& d_;
  asio::io_context io_;
  Answers a_, b_;
};

}  // namespace
}  // namespace msgbed::live

int main(int argc, char** argv) {
  msgbed::live::Options o;
  CLI::App app{"Upload and download MB/s of the live media service on loopback"};
  app.add_option("--mib", o.mib, "File size in MiB")->capture_default_str()->check(CLI::Range(1, 2047));
  app.add_option("--window", o.window, "Download ranges in flight (the gateway allows 4 per connection)")->capture_default_str()->check(CLI::Range(1, 4));
  app.add_flag("--sync", o.sync, "fsync every storage write");
  CLI11_PARSE(app, argc, argv);
  auto deployment = msgbed::live::LiveDeployment::Start(2, 1, o.sync);
  if (!deployment) return 1;
  return msgbed::live::Bench(o, *deployment).Run();
}
