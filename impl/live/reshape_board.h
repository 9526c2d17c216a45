// ReshapeBoard: instances of a reshapable role (messages) added to or
// removed from a running live deployment (docs/deploy.md, "Adding a
// messages instance"). `msgbed reshape CONFIG` checks the edited config
// and posts its text as <data_dir>/reshape.yaml; every process of the
// deployment polls that file, checks it against the config it runs, and
// applies it: its router learns the new instances' addresses, it starts
// those of its own selection, and every instance it runs is told the new
// shape (Service::OnReshape), upon which the messages instances move the
// boxes placement now gives another (messages/box_handoff.h). Each process
// records what it did in <data_dir>/reshape.acks/<pid>-<selection>.
//
// Thread rule: the board runs on its process's io thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "core/status.h"
#include "live/config.h"

namespace msgbed::live {

// Why next cannot replace now while running (empty: it can): only the
// instances of reshapable roles may change, by adding the next indexes or
// removing the highest, and every other instance keeps its addresses.
std::string ReshapeRefusal(const LiveConfig& now, const LiveConfig& next);

// Posts next's text (read from next.file) for the deployment's processes.
// REQUIRES: next.data_dir exists (a deployment ran there).
Status PostReshape(const LiveConfig& next);
// A process must not start without every instance of the list a reshape
// last applied, nor with more, unless it serves only instances new to that
// list (a joining instance, started before the list is posted): Invalid,
// naming both.
Status CheckPostedReshape(const LiveConfig& cfg, const std::vector<InstanceConfig>& serving);
// What the processes said about the posted text so far: one line each,
// "<pid>-<selection>: applied" or "...: refused: why".
std::vector<std::string> ReshapeAcks(const LiveConfig& cfg);
// Instances of cfg that no acknowledgement in acks says it serves.
std::vector<std::string> UnservedInstances(const LiveConfig& cfg, const std::vector<std::string>& acks);

class ReshapeBoard {
 public:
  // apply runs on the io thread with each new config whose reshape from
  // the one before is allowed; a refused one is logged and acknowledged as
  // such, and so is one apply fails. name: what the process serves, for
  // its acknowledgements.
  // serves: the instances the process runs, as "role/index ...", for its
  // acknowledgement ("applied; serves messages/0 messages/1").
  ReshapeBoard(boost::asio::io_context& io, const LiveConfig& cfg, std::string name,
               std::function<Status(const LiveConfig&)> apply, std::function<std::string()> serves);
  // Looks at the file now and then every kPoll.
  void Watch();
  static constexpr auto kPoll = std::chrono::milliseconds(200);

 private:
  void Check();
  void Ack(const std::string& what);

  LiveConfig current_;
  std::string name_;
  std::function<Status(const LiveConfig&)> apply_;
  std::function<std::string()> serves_;
  boost::asio::steady_timer timer_;
  std::string seen_;  // the text last acted on
};

}  // namespace msgbed::live
