// TerminalFiles: the terminal client's files (docs/media.md). `/file
// @<user> <path>` uploads a file (by hash first; only what the server
// lacks) and sends it; a message with a file is shown with its size and
// `/save <id> <path>` writes it to disk, fetched in 512 KiB ranges. One
// upload and one download at a time; commands typed before the device is
// up to date wait for it; an upload or download cut by a dropped
// connection goes on after the reconnect.
#pragma once

#include <cstdint>
#include <deque>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "client/device.h"
#include "client/file_upload.h"

namespace msgbed::live {

class TerminalFiles {
 public:
  // done(ok, random_id) runs when an upload or a download ends; random_id
  // is the message that carries an uploaded file (0 for a download or a
  // failure).
  using Done = std::function<void(bool ok, uint64_t random_id)>;
  TerminalFiles(Device* device, Done done) : device_(device), done_(std::move(done)) {}
  bool busy() const { return upload_ || download_ || !waiting_.empty(); }

  // Handles a typed line if it is a file command; false if it is not one.
  bool Command(const std::string& line);
  // Takes a frame answering one of its requests; false for any other.
  bool OnFrame(const api::ServerFrame& frame);
  // A message arrived: remembered if it holds a file. Its line's suffix
  // ("" without a file).
  std::string Noted(const api::Message& m);
  // A message this device sent was stored as message_id: if it carried a
  // file, that file can be saved from it too.
  void Sent(uint64_t random_id, uint64_t message_id);
  // The connection dropped: what was in flight is lost. Once the device is
  // up to date again, the upload and the download go on where they were.
  void OnDisconnected() { cut_ = true; }
  void OnSynced();

 private:
  // Says why a command is not carried out; it counts as a line not sent.
  void Refuse(const std::string& why);
  void SendFile(uint64_t peer, const std::string& path);
  void Save(uint64_t id, const std::string& path);
  void AskDocument();
  void AskRange();
  void EndDownload(const std::string& outcome);

  Device* device_;
  Done done_;
  std::map<uint64_t, api::Document> files_;    // message id -> its document (the newest 1,000)
  std::map<uint64_t, api::Document> sending_;  // random_id -> the document a message of ours carries
  struct Upload {
    uint64_t peer;
    std::string path;
    std::unique_ptr<FileUpload> upload;
  };
  std::unique_ptr<Upload> upload_;
  struct Download {
    api::Document document;
    std::string path, tmp;
    std::ofstream out;
    uint64_t written = 0;
    uint64_t request = 0;  // GetDocument's, then each GetFile's
    bool fresh = false;    // the document's reference came from GetDocument
    int refreshes = 0;     // fresh references asked for after one expired
  };
  std::unique_ptr<Download> download_;
  bool cut_ = false;
  std::deque<std::string> waiting_;  // commands typed before the device was up to date
};

}  // namespace msgbed::live
