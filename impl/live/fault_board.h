// FaultBoard: faults injected into a running live deployment by
// `msgbed fault` (docs/faults.md). The command validates a fault and
// writes it as a file under <data_dir>/faults/; every process of the
// deployment watches that directory and applies what concerns its own
// instances: its router loses, duplicates and delays envelopes (link,
// partition), its stores fail or slow down writes (disk), its instances
// crash and start again (crash), and the process hosting the mock bus
// takes a broker down (crash: broker/N). A fault ends by itself after its
// `for`, or at once when its file is removed (`msgbed fault --clear`).
// Times are wall-clock milliseconds: processes share nothing else.
//
// Thread rule: everything but applied() runs on the process's io thread.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "config/fault_spec.h"
#include "core/address.h"
#include "core/status.h"
#include "live/config.h"

namespace msgbed::live {

namespace asio = boost::asio;

// Checks text (one fault, as in a scenario's `faults:` but without `at`:
// it starts now; endpoints are instances) against cfg. source names it in errors.
Status ParseLiveFault(const LiveConfig& cfg, const std::string& text, const std::string& source,
                      std::vector<FaultSpec>* out);
// Validates text and posts it for the deployment's processes; *id names
// it. Removes the files of faults that have ended.
Status PostFault(const LiveConfig& cfg, const std::string& text, std::string* id);
// How many processes have seen fault id so far.
size_t ProcessesThatSaw(const LiveConfig& cfg, const std::string& id);
// Ends every posted fault: removes their files.
Status ClearFaults(const LiveConfig& cfg, size_t* removed);
// The faults posted and not yet ended, one line each.
std::vector<std::string> ListFaults(const LiveConfig& cfg);

class FaultBoard {
 public:
  // What happens to one envelope: `copies` of it (0: lost) leave after `delay`.
  struct Effect {
    int copies = 1;
    std::chrono::microseconds delay{0};
  };
  // What the process does for crashes (each null if it cannot).
  struct Actions {
    std::function<bool(const Address&)> serves;  // the instance is in this process
    std::function<void(const Address&)> crash, start;
    std::function<void(uint32_t broker)> broker_down, broker_up;  // hosts the mock bus
  };

  FaultBoard(asio::io_context& io, const LiveConfig& cfg, Actions actions);
  // Looks at the directory now and then every kPoll.
  void Watch();

  Effect OnEnvelope(const Address& from, const Address& to);
  // A storage write of instance: false if its disk is full; else
  // *slowdown is the factor on its time, until *slow_until_ms (wall clock).
  bool DiskWrite(const Address& instance, double* slowdown, int64_t* slow_until_ms) const;
  // Faults this process has begun applying (thread-safe).
  uint64_t applied() const { return applied_; }
  // Faults this process has stopped applying, cleared or run out (thread-safe).
  uint64_t ended() const { return ended_; }

  static constexpr auto kPoll = std::chrono::milliseconds(200);

 private:
  struct Active {
    FaultSpec spec;
    int64_t until_ms;
  };
  void Poll();
  void Begin(const std::string& id, const FaultSpec& f, int64_t until_ms);
  void End(const Active& a);
  void Acknowledge(const std::string& id) const;
  // Whether a crash fault still in effect names instance.
  bool StillCrashed(const std::string& instance) const;
  bool Concerns(const FaultSpec& f) const;

  asio::io_context& io_;
  const LiveConfig& cfg_;
  Actions actions_;
  asio::steady_timer timer_;
  std::map<std::string, std::vector<Active>> active_;  // by file id
  std::map<std::string, bool> seen_;                   // every id begun or skipped
  std::mt19937_64 rng_;
  std::atomic<uint64_t> applied_{0};
  std::atomic<uint64_t> ended_{0};
};

}  // namespace msgbed::live
