// MediaShares: workload.media, one file going viral (docs/media.md). User
// 1's first device uploads it at `start` with the client's FileUpload (by
// hash, then 512 KiB parts, then FinishUpload) and sends it to a random
// user. Then, at random times over what is left of the loaded period, `shares`
// times a random connected device (the first of up to 16 random draws
// that is connected and up to date) sends it on to a random user: its own
// FileUpload asks by hash, finds the file stored, uploads nothing, and the
// document goes out as a message (recorded and checked like any other).
#pragma once

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <ostream>
#include <string>

#include "client/file_upload.h"
#include "core/rng.h"
#include "node.h"

namespace msgbed::sim {

class Population;

class MediaShares {
 public:
  explicit MediaShares(World* world);
  void Begin(Node* clock);
  // An answer to a media request of device (the run's index); true if it
  // was one of this workload's.
  bool OnFrame(uint64_t device, const api::ServerFrame& frame);

  struct Counts {
    uint64_t uploads_done = 0;  // uploads that sent parts and ended with a document
    uint64_t parts_sent = 0;
    uint64_t asked = 0;       // shares begun (by-hash questions)
    uint64_t sent = 0;        // documents sent as messages, the seed's included
    uint64_t skipped = 0;     // shares that found no connected, up-to-date device in 16 draws
    uint64_t failed = 0;      // uploads or questions answered with an error
    double uploaded_at = -1;  // when the seed's upload ended; -1: it did not
  };
  const Counts& counts() const { return counts_; }
  uint64_t file_bytes() const { return file_->size(); }
  // Uploads not finished at the end of the run, and the parts they sent.
  size_t in_flight() const { return active_.size(); }
  uint64_t parts_in_flight() const;
  // Shares the run did not get to: all of them if the file never got there.
  uint64_t shares_not_made() const;

 private:
  void Upload(uint64_t device);
  void ScheduleShare(double after);
  void Share();
  void Finished(uint64_t device, const FileUpload& up);

  World* world_;
  Node* clock_ = nullptr;
  Rng rng_;
  std::shared_ptr<const std::string> file_;
  std::string sha256_;
  uint64_t to_share_ = 0;                                   // shares not yet scheduled
  std::map<uint64_t, std::unique_ptr<FileUpload>> active_;  // by device: one upload at a time
  uint64_t next_file_id_ = 1;
  Counts counts_;
};

// The summary's "media": the workload's counts and what the media
// instances stored, with and without deduplication.
nlohmann::ordered_json MediaJson(const World& w);
// Its line of the printed summary.
void PrintMedia(const nlohmann::ordered_json& media, std::ostream& out);

}  // namespace msgbed::sim
