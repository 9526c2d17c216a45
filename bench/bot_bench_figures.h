// bot_api_bench's figures: a measurement's results (Row), the CPU time it
// took (CpuMeter), and the table they are printed in on std::cout.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace msgbed::live {

// One measurement: a line of the table.
struct Row {
  std::string what;
  uint32_t conns = 0;
  uint64_t count = 0;     // requests answered 200 ok, or updates
  uint64_t failures = 0;  // requests answered otherwise: not in count, rate or latency
  std::string first_failure;
  double seconds = 0;
  std::vector<double> latency_us;
  std::vector<double> done_s;  // when each request was answered, from the start
  double server_cpu_s = 0, client_cpu_s = 0;
  double other_cpu_s = 0;  // the rest of the machine's, meanwhile
  std::string unit = "req/s";
};

// CPU time over a measurement: the server's (every thread), this client's,
// and the rest of the machine's, so that a figure taken beside another
// job shows it.
class CpuMeter {
 public:
  // Starts counting: the server process's (pid server), this process's and
  // the whole machine's CPU time so far (/proc/<pid>/stat, getrusage,
  // /proc/stat).
  explicit CpuMeter(pid_t server);

  // Sets row's server_cpu_s, client_cpu_s and other_cpu_s (the machine's
  // less both, at least 0) to what each used since construction.
  void Into(Row& row) const;

 private:
  const pid_t server_;
  const double server_s_, client_s_, machine_s_;
};

// v's element of rank q * v.size() (0 <= q <= 1; the largest if past the
// end), 0 if v is empty. Sorts v.
double Percentile(std::vector<double>& v, double q);

// The table's two heading lines.
void PrintHeader();
// r as a line of the table, and a line naming its first failure if any.
// Leaves std::cout std::fixed, precision 0.
void Print(Row r);
// The rate over each `block` requests of r in turn (a line, from r.done_s):
// shows a cost that grows with what the measurement itself stored. Prints
// nothing if r has fewer than 2 blocks; else leaves std::cout as Print.
void PrintBlocks(const Row& r, uint64_t block, const std::string& what);

}  // namespace msgbed::live
