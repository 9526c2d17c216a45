// The member side of live_fanout_bench, run as a process of its own so
// that the devices' sockets count against its open-file limit, not the
// gateways' or the bench's. It drives the devices of a sessions file,
// spread over the gateways' client ports, and talks to the bench in lines:
//   stdout "synced"                   every device signed in and caught up
//   stdin  "join <channel>"           each device joins (at most 256 waiting)
//   stdout "joined"                   every device is a member
//   stdout "shown <random_id> <t>..." every device showed that post of the
//                                     channel; t: each one's steady clock in
//                                     ns (CLOCK_MONOTONIC: one clock for all
//                                     processes of a machine)
//   stdout "error <what>"             then it exits 1
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/time.h"
#include "proto/client_api.pb.h"

namespace msgbed::live {

// Sessions files: each session a 4-byte little-endian length, then an
// api::Authorization. Write throws std::runtime_error if it cannot.
void WriteSessions(const std::string& path, const std::vector<api::Authorization>& sessions);
std::vector<api::Authorization> ReadSessions(const std::string& path);

// Writes line and a newline to fd, all of it; false if the reader is gone.
bool WriteLine(int fd, const std::string& line);

// Runs the worker until stdin closes; returns the process's exit status.
// quiet_resync: the devices' (DeviceRetryPolicy).
int RunFanoutWorker(const std::string& sessions_file, const std::vector<uint16_t>& gateway_ports, Micros quiet_resync);

}  // namespace msgbed::live
