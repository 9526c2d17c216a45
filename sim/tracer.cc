#include "tracer.h"

#include <algorithm>
#include <cstdio>
#include <set>
#include <sstream>

namespace msgbed::sim {

namespace {

std::string Ms(double seconds) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", seconds * 1e3);
  return buf;
}

std::string Alias(const std::string& name) {
  std::string a = "p_";
  for (char c : name) a += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return a;
}

// Which path a hop is on: to the sender's acknowledgement, or the bus and
// the pushes to the other devices (client_api.proto, the roles' requests).
std::string_view PathOf(const std::string& label) {
  static const std::set<std::string, std::less<>> ack = {"send_message", "SendMessage",  "ApplyToBox",
                                                         "Applied",      "ClientAnswer", "sent_message"};
  static const std::set<std::string, std::less<>> push = {"produce", "replicate", "replica_ack",
                                                          "record",  "Push",      "update"};
  if (ack.contains(label)) return "ack";
  if (push.contains(label)) return "push";
  return "";
}

}  // namespace

void Tracer::Hop(double sent, double arrives, const std::string& from, const std::string& to, std::string_view label,
                 size_t bytes) {
  records_.push_back(Record{sent, arrives, 0, from, to, std::string(label), bytes, false});
  ++hops_;
}

void Tracer::Work(const std::string& node, double arrived, double start, double done) {
  if (start == arrived && done == start) return;  // a device's or a timer's: nothing to learn
  records_.push_back(Record{start, arrived, done, node, "", "", 0, true});
}

std::string Tracer::Participant(const std::string& node) const {
  auto it = described_.find(node);
  return it == described_.end() ? node : node + "\\n" + it->second;
}

std::string Tracer::SequenceDiagram(const std::string& name, const std::string& title) const {
  std::vector<Record> records = records_;
  std::stable_sort(records.begin(), records.end(), [](const Record& a, const Record& b) { return a.at < b.at; });
  std::ostringstream out;
  out << "@startuml " << name << "\n' Written by msgbed run --trace: simulated times in ms, sent -> arrived.\n"
      << "' Blue: the path to the sender's acknowledgement; green: the bus and the pushes to other devices.\n"
      << "title " << title << "\n";
  std::set<std::string> declared;
  for (const Record& r : records) {
    for (const std::string* p : {&r.from, &r.to}) {
      if (!p->empty() && declared.insert(*p).second)
        out << "participant \"" << Participant(*p) << "\" as " << Alias(*p) << "\n";
    }
  }
  for (const Record& r : records) {
    if (r.work) {
      out << "note over " << Alias(r.from) << " : waited " << Ms(r.at - r.arrives) << ", worked " << Ms(r.done - r.at)
          << "\n";
      continue;
    }
    const std::string_view path = PathOf(r.label);
    const char* arrow = path == "ack" ? " -[#0000CC]> " : path == "push" ? " -[#008800]> " : " -> ";
    out << Alias(r.from) << arrow << Alias(r.to) << " : " << Ms(r.at) << " -> " << Ms(r.arrives) << "  " << r.label
        << " (" << r.bytes << " B)" << (path.empty() ? "" : " [" + std::string(path) + "]") << "\n";
  }
  out << "@enduml\n";
  return out.str();
}

}  // namespace msgbed::sim
