#!/usr/bin/env bash
# The core rule: service cores in impl/ (everything but impl/live and
# impl/proto) see only the Env. They include no socket, thread, clock,
# filesystem, Asio, librdkafka, RocksDB or SimGrid header and name no wall
# clock or thread type, and draw no randomness of their own (randombytes_:
# secrets come from Env::SecretBytes). Prints each offending line; fails if there is one.
set -u
root=${1:-.}
cd "$root/impl" || exit 2
files=$(find . -name '*.h' -o -name '*.cc' -o -name '*.cpp' | grep -vE '^\./(live|proto)/')
[ -n "$files" ] || { echo "core_rule: no core files found under $root/impl"; exit 2; }
headers='#include[[:space:]]*[<"](boost/|asio|simgrid|xbt|librdkafka|rdkafka|rocksdb|thread|mutex|condition_variable|future|chrono|ctime|time\.h|filesystem|fstream|cstdio|stdio\.h|unistd\.h|sys/|netinet|arpa/|spdlog|yaml-cpp)'
names='randombytes_|std::(this_)?thread|std::chrono|system_clock|steady_clock|high_resolution_clock|std::mutex|std::async|fopen|std::(i|o)?fstream|getenv|\bsleep\('
bad=$(grep -nE "$headers|$names" $files)
if [ -n "$bad" ]; then
  echo "core_rule: service cores must see only the Env; found:"
  echo "$bad"
  exit 1
fi
echo "core_rule: $(echo "$files" | wc -l) core files clean"
