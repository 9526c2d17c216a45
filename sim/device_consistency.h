// The end-of-run comparison of every device with its box: what each was
// owed and delivered, and which owed deliveries are unfinished latency
// samples (Recorder::OwedSample).
#pragma once

#include <cstdint>

#include "world.h"

namespace msgbed::sim {

// Per device: what its box holds vs what it saw. Every update in a user's
// box is either a message this device sent or one it must have delivered.
struct Consistency {
  uint64_t expected = 0, delivered = 0, devices = 0, in_sync = 0, duplicates_ignored = 0, retries = 0,
           quiet_resyncs = 0;
  uint64_t missing = 0, extra = 0;  // per device, then summed: one device's extra never hides another's missing
  uint64_t held_unsent = 0;         // typed on a device that never became ready to send it
  uint64_t held_by_away = 0;        // of those, on devices away at the end: sent when they are back
  uint64_t owed_to_away = 0;        // updates devices away at the end get when they come back
  uint64_t owed_samples = 0;        // of missing, deliveries that are unfinished latency samples
};

Consistency CheckDevices(const World& w);

}  // namespace msgbed::sim
