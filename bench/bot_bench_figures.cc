#include "bot_bench_figures.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <iterator>
#include <sstream>

namespace msgbed::live {
namespace {

double CpuSecondsOf(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t paren = text.rfind(')');  // the command's name may hold spaces
  if (paren == std::string::npos) return 0;
  std::istringstream fields(text.substr(paren + 2));
  std::string skip;
  for (int i = 3; i < 14; ++i) fields >> skip;  // state .. cmajflt
  double utime = 0, stime = 0;
  fields >> utime >> stime;
  return (utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

double OwnCpuSeconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return s(u.ru_utime) + s(u.ru_stime);
}

// All CPUs' busy time: /proc/stat's user, nice, system, irq, softirq and
// steal (time the hypervisor gave to other machines).
double MachineCpuSeconds() {
  std::ifstream in("/proc/stat");
  std::string all;  // "cpu", the sum of every CPU
  in >> all;
  double busy = 0, ticks = 0;
  for (int i = 0; i < 8 && in >> ticks; ++i) {
    if (i != 3 && i != 4) busy += ticks;  // not idle, not iowait
  }
  return busy / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

}  // namespace

CpuMeter::CpuMeter(pid_t server)
    : server_(server), server_s_(CpuSecondsOf(server)), client_s_(OwnCpuSeconds()), machine_s_(MachineCpuSeconds()) {}

void CpuMeter::Into(Row& row) const {
  row.server_cpu_s = CpuSecondsOf(server_) - server_s_;
  row.client_cpu_s = OwnCpuSeconds() - client_s_;
  row.other_cpu_s = std::max(0.0, MachineCpuSeconds() - machine_s_ - row.server_cpu_s - row.client_cpu_s);
}

double Percentile(std::vector<double>& v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())))];
}

void PrintHeader() {
  std::cout << std::left << std::setw(44) << "measurement" << std::right << std::setw(6) << "conns" << std::setw(9)
            << "count" << std::setw(8) << "failed" << std::setw(8) << "s" << std::setw(16) << "rate" << std::setw(9)
            << "p50 ms" << std::setw(9) << "p99 ms" << std::setw(12) << "server CPU" << std::setw(12) << "client CPU"
            << std::setw(8) << "others"
            << "\n"
            << std::left << std::setw(44) << "" << std::right << std::setw(6) << "" << std::setw(9) << ""
            << std::setw(8) << "" << std::setw(8) << "" << std::setw(16) << "" << std::setw(9) << "" << std::setw(9)
            << "" << std::setw(12) << "us each" << std::setw(12) << "us each" << std::setw(8) << "% core"
            << "\n";
}

void Print(Row r) {
  const double n = static_cast<double>(std::max<uint64_t>(r.count, 1));
  std::ostringstream rate;
  rate << std::fixed << std::setprecision(0) << static_cast<double>(r.count) / r.seconds << " " << r.unit;
  std::cout << std::left << std::setw(44) << r.what << std::right << std::setw(6) << r.conns << std::setw(9) << r.count
            << std::setw(8) << r.failures << std::setw(8) << std::fixed << std::setprecision(2) << r.seconds
            << std::setw(16) << rate.str() << std::setprecision(3) << std::setw(9)
            << Percentile(r.latency_us, 0.5) / 1e3 << std::setw(9) << Percentile(r.latency_us, 0.99) / 1e3
            << std::setprecision(1) << std::setw(12) << r.server_cpu_s * 1e6 / n << std::setw(12)
            << r.client_cpu_s * 1e6 / n << std::setprecision(0) << std::setw(8) << r.other_cpu_s * 100 / r.seconds
            << std::endl;
  if (r.failures > 0) std::cout << "    FAILED " << r.failures << ", the first: " << r.first_failure << std::endl;
}

void PrintBlocks(const Row& r, uint64_t block, const std::string& what) {
  if (r.done_s.size() < 2 * block) return;  // nothing to compare
  std::vector<double> done = r.done_s;
  std::sort(done.begin(), done.end());
  std::cout << "    " << what << ":";
  double from = 0;
  for (size_t end = block; end <= done.size(); end += block) {
    std::cout << (end == block ? " " : ", ") << std::fixed << std::setprecision(0)
              << static_cast<double>(block) / (done[end - 1] - from);
    from = done[end - 1];
  }
  std::cout << " req/s" << std::endl;
}

}  // namespace msgbed::live
