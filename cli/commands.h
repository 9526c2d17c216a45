// The msgbed subcommands. Each returns the process exit code:
// 0 success, 1 runtime failure, 2 bad input (scenario, config, arguments).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace msgbed::cli {

struct RunOptions {
  std::string scenario;  // empty: the embedded quickstart
  std::string out_dir = "results";
  bool quiet = false;
  std::string trace;  // N (the N-th message sent), cross-box or cross-dc; empty: none
};
int Run(const RunOptions& opts);

struct DiagramOptions {
  std::string scenario;  // empty: the embedded quickstart
  std::string output;    // empty or "-": stdout
};
int Diagram(const DiagramOptions& opts);

struct CampaignOptions {
  std::string scenario;  // empty: the embedded quickstart
  uint64_t seeds = 10;
  std::vector<std::string> kinds;  // fault kinds; empty: all
  double max_downtime_s = 2;
  std::string out_dir = "results";
};
int Campaign(const CampaignOptions& opts);

struct SweepOptions {
  std::string scenario;
  int jobs = 0;  // 0: one per core
  std::string out_dir = "results";
};
int Sweep(const SweepOptions& opts);

// Writes <dir>/report.html (plots of a run's or a sweep's results) with
// python3 and matplotlib.
int Report(const std::string& dir);
// cli/report.py, embedded.
const char* ReportScript();

struct ServeOptions {
  std::string config;
  std::string role;  // empty: every role in one process
};
int Serve(const ServeOptions& opts);

struct FaultOptions {
  std::string config;
  std::string fault;         // one fault as YAML
  bool fault_given = false;  // else: list those in effect
  bool clear = false;
};
int Fault(const FaultOptions& opts);

// `msgbed reshape CONFIG`: posts the config's instance list to the running
// deployment's processes (live/reshape_board.h) and prints what each did.
int Reshape(const std::string& config_path);

struct ClientOptions {
  std::string connect = "127.0.0.1:7400";
  std::string phone;
  std::string session;    // default: msgbed-<phone digits>.session
  std::string ca;         // TLS: the CA file the gateway's certificate must chain to; empty: plain TCP
  bool insecure = false;  // plain TCP to a gateway that is not on this machine
};
int Client(const ClientOptions& opts);

// `msgbed tls init DIR`: a development CA and server certificate (live/tls.h).
struct TlsInitOptions {
  std::string dir;
  std::vector<std::string> hosts = {"127.0.0.1", "localhost"};
  int days = 365;
  bool force = false;  // replace existing files
};
int TlsInit(const TlsInitOptions& opts);

struct ProvisionOptions {
  std::string config;
  uint64_t users = 0;
  uint64_t devices = 1;
  std::string out;
};
int Provision(const ProvisionOptions& opts);

// `msgbed bot create|revoke|show`: the Bot API operator's requests to a
// running deployment's botapi/0 (exit 1 when it refuses or cannot be reached).
struct BotOptions {
  std::string action;  // "create", "revoke" or "show"
  std::string config;
  std::string username;  // create, show
  std::string name;      // create: the bot's first name; empty: the username
  bool reads_all_group_messages = false;
  uint64_t bot = 0;  // revoke
};
int Bot(const BotOptions& opts);

}  // namespace msgbed::cli
