#include "core/epoch.h"

namespace msgbed {

uint64_t NextEpoch(Env& env, const std::string& key, const std::string& counter) {
  Status s;
  const auto stored = env.Kv().Get(key, &s);
  uint64_t epoch = 0;
  if (s.ok() && stored && stored->size() == sizeof epoch) {
    for (unsigned char c : *stored) epoch = epoch << 8 | c;
  }
  ++epoch;
  std::string bytes;
  for (int i = 7; i >= 0; --i) bytes.push_back(static_cast<char>(epoch >> (8 * i)));
  WriteBatch batch;
  batch.Put(key, bytes);
  if (!s.ok() || !env.Kv().Write(batch).ok()) {
    env.Stats().Add(counter);
    return env.Random().Next() | 1ull << 63;
  }
  return epoch;
}

}  // namespace msgbed
