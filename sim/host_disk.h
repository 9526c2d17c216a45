// HostDisk: the storage device of one simulated host, shared by every
// instance on it. An operation takes latency + bytes / bandwidth (read or
// write) and is served FIFO by `queue_depth` channels (an SSD serves
// several requests at once, a disk one): storage nodes queue for it.
// Without a disk in the scenario, a host's storage writes cost the flat
// storage.write and reads are free (the instance's memory).
#pragma once

#include "servers.h"

namespace msgbed::sim {

struct DiskSpec {
  double read_bandwidth = 0;  // bytes/s; 0: no disk model
  double write_bandwidth = 0;
  double latency = 100e-6;  // per operation (a write's includes its fsync)
  int queue_depth = 1;
  double cache_hit = 0;  // share of reads served from memory (the block cache)

  bool modelled() const { return read_bandwidth > 0; }
  double ReadTime(double bytes) const { return latency + bytes / read_bandwidth; }
  double WriteTime(double bytes) const { return latency + bytes / write_bandwidth; }
};

class HostDisk {
 public:
  explicit HostDisk(const DiskSpec& spec) : spec_(spec), channels_(spec.queue_depth) {}

  const DiskSpec& spec() const { return spec_; }
  // An operation of `seconds` ready at `ready` (>= now); returns when it is done.
  double Run(double now, double ready, double seconds) { return channels_.Book(now, ready, seconds); }
  // Channel-seconds of operations booked, ever and after t.
  double busy_seconds() const { return channels_.busy_seconds(); }
  double BusyBeyond(double t) const { return channels_.BusyBeyond(t); }
  int channels() const { return channels_.count(); }

 private:
  DiskSpec spec_;
  Servers channels_;
};

}  // namespace msgbed::sim
