// FileUpload: a client's upload of one file, as Telegram clients do it,
// sans-IO. It asks by hash first and uploads nothing if the server has
// the bytes; otherwise it sends 512 KiB parts, several in flight for a
// file over 10 MiB, then FinishUpload. After a dropped connection,
// Resume() asks which parts are missing and sends only those.
//
// The owner sends frames through `send` (Device::Request: it returns the
// request id) and hands every answer back with OnAnswer.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "proto/client_api.pb.h"

namespace msgbed {

class FileUpload {
 public:
  using Send = std::function<uint64_t(api::ClientFrame)>;
  static constexpr uint64_t kParallelAbove = 10ull << 20;
  static constexpr uint32_t kParallelParts = 4;

  FileUpload(uint64_t file_id, std::string bytes, std::string name, std::string mime, Send send);
  // The same file for many uploads: its bytes shared, its SHA-256 known.
  FileUpload(uint64_t file_id, std::shared_ptr<const std::string> bytes, std::string sha256, std::string name,
             std::string mime, Send send);

  // Asks by hash; uploads if it must.
  void Start();
  // After a reconnect: answers to requests sent before are lost; asks
  // which parts the server lacks and sends those.
  void Resume();
  // Returns true if request_id was this upload's (then it took the answer).
  bool OnAnswer(uint64_t request_id, const api::ServerFrame& frame);

  bool done() const { return document_.has_value() || error_.has_value(); }
  // A request failed for a passing reason (TIMEOUT, UNAVAILABLE, INTERNAL):
  // nothing more is sent until Resume().
  bool stalled() const { return stalled_; }
  const std::optional<api::Document>& document() const { return document_; }
  const std::optional<api::Error>& error() const { return error_; }
  const std::string& sha256() const { return sha256_; }
  // Parts this upload sent (again after a resume included).
  uint32_t parts_sent() const { return parts_sent_; }
  bool skipped_by_hash() const { return skipped_; }

 private:
  enum class Asked { kByHash, kPart, kState, kFinish };
  void SendParts();
  void Finish();
  // Ends the upload on a final error; stalls it on a passing one.
  void Fail(const api::Error& e);

  const uint64_t file_id_;
  const std::shared_ptr<const std::string> bytes_;
  const std::string sha256_, name_, mime_;
  const uint32_t parts_, window_;
  Send send_;
  std::map<uint64_t, std::pair<Asked, uint32_t>> pending_;  // request id -> what (and which part)
  std::set<uint32_t> to_send_;                              // parts not yet acknowledged nor in flight
  uint32_t in_flight_ = 0, parts_sent_ = 0;
  bool finishing_ = false, skipped_ = false, stalled_ = false;
  std::optional<api::Document> document_;
  std::optional<api::Error> error_;
};

}  // namespace msgbed
