#include "auth/flood.h"

#include <algorithm>

namespace msgbed {

namespace {

constexpr Micros kStrikeMemory = 86400 * kSecond;

void Roll(auth::Flood* f, const FloodRules& rules, Micros now) {
  if (now - f->window_start_us() < rules.window) return;
  f->set_window_start_us(now);
  f->set_codes(0);
  f->set_failures(0);
  if (f->strikes() > 0 && now - f->blocked_until_us() >= kStrikeMemory) f->set_strikes(0);
}

void Block(auth::Flood* f, const FloodRules& rules, Micros now) {
  const uint32_t shift = std::min<uint32_t>(f->strikes(), 30);
  const Micros wait = std::min(rules.max_wait, rules.first_wait << shift);
  f->set_strikes(f->strikes() + 1);
  f->set_blocked_until_us(now + wait);
  // The next window starts when the block ends.
  f->set_window_start_us(now + wait);
  f->set_codes(0);
  f->set_failures(0);
}

}  // namespace

uint32_t BlockedFor(const auth::Flood& f, Micros now) {
  if (f.blocked_until_us() <= now) return 0;
  return static_cast<uint32_t>((f.blocked_until_us() - now + kSecond - 1) / kSecond);
}

bool CountCode(auth::Flood* f, const FloodRules& rules, Micros now) {
  Roll(f, rules, now);
  f->set_codes(f->codes() + 1);
  if (f->codes() <= rules.codes) return false;
  Block(f, rules, now);
  return true;
}

bool CountFailure(auth::Flood* f, const FloodRules& rules, Micros now) {
  Roll(f, rules, now);
  f->set_failures(f->failures() + 1);
  if (f->failures() < rules.failures) return false;
  Block(f, rules, now);
  return true;
}

}  // namespace msgbed
