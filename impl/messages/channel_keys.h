// Where a channel's owner keeps its record and members (the channel's box
// is a BoxStore in space 'C'):
//   'K' channel        -> storage.ChannelRecord
//   'M' channel user   -> ""  (user is a member)
//   'P' channel pts    -> ""  (the update's fan-out may not have left yet)
#pragma once

#include <cstdint>
#include <string>

namespace msgbed {

// A basic group's owner keeps its record:
//   'g' chat -> storage.ChatRecord
inline std::string ChatRecordKey(uint64_t chat) {
  std::string k(1, 'g');
  for (int i = 7; i >= 0; --i) k.push_back(static_cast<char>(chat >> (8 * i)));
  return k;
}

inline std::string ChannelRecordKey(uint64_t channel) {
  std::string k(1, 'K');
  for (int i = 7; i >= 0; --i) k.push_back(static_cast<char>(channel >> (8 * i)));
  return k;
}

inline std::string ChannelMemberKey(uint64_t channel, uint64_t user) {
  std::string k(1, 'M');
  for (uint64_t v : {channel, user}) {
    for (int i = 7; i >= 0; --i) k.push_back(static_cast<char>(v >> (8 * i)));
  }
  return k;
}

inline std::string ChannelPendingKey(uint64_t channel, uint64_t pts) {
  std::string k = ChannelMemberKey(channel, pts);
  k[0] = 'P';
  return k;
}

// The user a member key names (or the pts a pending key does).
inline uint64_t ChannelMemberOf(const std::string& key) {
  uint64_t user = 0;
  for (size_t i = 9; i < 17 && i < key.size(); ++i) user = user << 8 | static_cast<unsigned char>(key[i]);
  return user;
}

}  // namespace msgbed
