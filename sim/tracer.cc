#include "tracer.h"

#include <algorithm>
#include <cstdio>
#include <map>
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

}  // namespace

void Tracer::Hop(double sent, double arrives, const std::string& from, const std::string& to, std::string_view label,
                 size_t bytes) {
  hops_.push_back(Record{sent, arrives, from, to, std::string(label), bytes});
}

std::string Tracer::SequenceDiagram(const std::string& name, const std::string& title) const {
  std::vector<Record> hops = hops_;
  std::stable_sort(hops.begin(), hops.end(), [](const Record& a, const Record& b) { return a.sent < b.sent; });
  std::ostringstream out;
  out << "@startuml " << name << "\n' Written by msgbed run --trace: simulated times in ms, sent -> arrived.\n"
      << "title " << title << "\n";
  std::map<std::string, bool> declared;
  for (const Record& h : hops) {
    for (const std::string* p : {&h.from, &h.to}) {
      if (declared.emplace(*p, true).second) out << "participant \"" << *p << "\" as " << Alias(*p) << "\n";
    }
  }
  for (const Record& h : hops) {
    out << Alias(h.from) << " -> " << Alias(h.to) << " : " << Ms(h.sent) << " -> " << Ms(h.arrives) << "  " << h.label
        << " (" << h.bytes << " B)\n";
  }
  out << "@enduml\n";
  return out.str();
}

}  // namespace msgbed::sim
