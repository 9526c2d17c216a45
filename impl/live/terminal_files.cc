#include "live/terminal_files.h"

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <sstream>
#include <utility>
#include <vector>

#include "live/terminal_commands.h"

namespace msgbed::live {
namespace {

constexpr uint32_t kRange = 512 * 1024;
constexpr size_t kFilesKept = 1000;
constexpr uint64_t kMaxFileBytes = 2ull << 30;
constexpr size_t kMaxWaiting = 16;

}  // namespace

void TerminalFiles::Refuse(const std::string& why) {
  std::cout << "* " << why << "\n";
  done_(false, 0);
}

bool TerminalFiles::Command(const std::string& line) {
  // "/file @<user> <path>" or "/save <id> <path>": the path is the rest of
  // the line, spaces and all.
  std::istringstream in(line);
  std::string verb, target, path;
  in >> verb;
  if (verb != "/file" && verb != "/save") return false;
  in >> target;
  std::getline(in >> std::ws, path);
  while (!path.empty() && std::isspace(static_cast<unsigned char>(path.back()))) path.pop_back();
  const bool file = verb == "/file";
  std::optional<uint64_t> id;
  if (!path.empty() && (!file || (target.size() > 1 && target[0] == '@'))) {
    id = ParseId(file ? target.substr(1) : target);
  }
  if (!id.has_value()) {
    Refuse(file ? "/file @<user> <path>: sends a file" : "/save <message id> <path>: writes the file of a message");
  } else if (device_->state() != Device::State::kReady && waiting_.size() >= kMaxWaiting) {
    Refuse("not signed in yet, and too many file commands wait");
  } else if (device_->state() != Device::State::kReady) {
    waiting_.push_back(line);  // carried out once signed in and up to date
  } else if (file) {
    SendFile(id.value(), path);
  } else {
    Save(id.value(), path);
  }
  return true;
}

void TerminalFiles::SendFile(uint64_t peer, const std::string& path) {
  if (upload_) return Refuse("still sending " + upload_->path);
  std::error_code ec;
  const uint64_t size = std::filesystem::file_size(path, ec);
  if (ec) return Refuse("cannot read " + path + ": " + ec.message());
  if (size == 0 || size > kMaxFileBytes) return Refuse(path + ": a file is 1 byte to 2 GiB");
  std::ifstream in(path, std::ios::binary);
  std::string bytes(size, '\0');
  if (!in.read(bytes.data(), static_cast<std::streamsize>(size))) return Refuse("cannot read " + path);
  const std::string name = std::filesystem::path(path).filename().string();
  upload_ = std::make_unique<Upload>(Upload{peer, path, nullptr});
  upload_->upload = std::make_unique<FileUpload>(device_->user() << 20 ^ std::hash<std::string>{}(path),
                                                 std::move(bytes), name, "application/octet-stream",
                                                 [this](api::ClientFrame f) { return device_->Request(std::move(f)); });
  std::cout << "* sending " << name << " (" << size << " bytes)\n";
  upload_->upload->Start();
}

void TerminalFiles::Save(uint64_t id, const std::string& path) {
  auto it = files_.find(id);
  if (it == files_.end()) return Refuse("no file in a message " + std::to_string(id) + " this session saw");
  if (download_) return Refuse("still saving " + download_->path);
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return Refuse(path + " is a directory: give the file's name too");
  download_ = std::make_unique<Download>();
  download_->document = it->second;
  download_->path = path;
  download_->tmp = path + ".part";
  download_->out.open(download_->tmp, std::ios::binary | std::ios::trunc);
  if (!download_->out) {
    download_.reset();
    return Refuse("cannot write " + path + ": " + std::strerror(errno));
  }
  AskDocument();
}

// A message's reference is the sender's: ask for one of our own.
void TerminalFiles::AskDocument() {
  api::ClientFrame f;
  f.mutable_get_document()->set_sha256(download_->document.sha256());
  f.mutable_get_document()->set_id(download_->document.id());
  f.mutable_get_document()->set_access_hash(download_->document.access_hash());
  download_->request = device_->Request(std::move(f));
}

void TerminalFiles::AskRange() {
  api::ClientFrame f;
  auto* g = f.mutable_get_file();
  g->set_sha256(download_->document.sha256());
  g->set_document_id(download_->document.id());
  g->set_file_reference(download_->document.file_reference());
  g->set_offset(download_->written);
  g->set_limit(kRange);
  download_->request = device_->Request(std::move(f));
}

void TerminalFiles::EndDownload(const std::string& outcome) {
  download_->out.close();
  std::error_code ec;
  std::string why = outcome;
  if (why.empty()) std::filesystem::rename(download_->tmp, download_->path, ec);
  if (ec) why = ec.message();
  if (why.empty()) {
    std::cout << "* saved " << download_->path << " (" << download_->written << " bytes)\n";
  } else {
    std::filesystem::remove(download_->tmp, ec);
    std::cout << "* " << download_->path << " not saved: " << why << "\n";
  }
  download_.reset();
  done_(why.empty(), 0);
}

bool TerminalFiles::OnFrame(const api::ServerFrame& f) {
  if (upload_ && upload_->upload->OnAnswer(f.request_id(), f)) {
    FileUpload& up = *upload_->upload;
    if (up.document()) {
      const uint64_t random_id = ((device_->user() << 32) ^ up.document()->id()) | 1;
      device_->SendDocument(upload_->peer, *up.document(), "", random_id);
      sending_[random_id] = *up.document();
      std::cout << "* " << upload_->path << " stored"
                << (up.skipped_by_hash() ? " already (nothing uploaded)"
                                         : " (" + std::to_string(up.parts_sent()) + " parts sent, resends included)")
                << "; sending it\n";
      upload_.reset();
      done_(true, random_id);
    } else if (up.error()) {
      std::cout << "* " << upload_->path << " not sent: " << up.error()->message() << "\n";
      upload_.reset();
      done_(false, 0);
    } else if (up.stalled()) {
      std::cout << "* sending " << upload_->path << " stalled (" << f.error().message() << "); resuming\n";
      up.Resume();
    }
    return true;
  }
  if (!download_ || f.request_id() != download_->request) return false;
  // A reference lasts media.file_reference_ttl: a long download asks for
  // a fresh one (a few times at most, then it gives up).
  if (f.has_error() && f.error().code() == api::FILE_REFERENCE_EXPIRED && download_->refreshes++ < 3) {
    download_->fresh = false;
    AskDocument();
  } else if (f.has_error()) {
    EndDownload(f.error().message());
  } else if (f.has_document()) {
    download_->document = f.document();
    download_->fresh = true;
    AskRange();
  } else if (f.has_file_part()) {
    const std::string& bytes = f.file_part().bytes();
    download_->out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    download_->written += bytes.size();
    if (!download_->out) return EndDownload("cannot write " + download_->tmp), true;
    if (download_->written >= download_->document.size() || bytes.empty()) return EndDownload(""), true;
    AskRange();
  }
  return true;
}

std::string TerminalFiles::Noted(const api::Message& m) {
  if (!m.has_document()) return "";
  files_[m.id()] = m.document();
  if (files_.size() > kFilesKept) files_.erase(files_.begin());
  return " [file '" + Printable(m.document().name()) + "', " + std::to_string(m.document().size()) + " bytes: /save " +
         std::to_string(m.id()) + " <path>]";
}

void TerminalFiles::Sent(uint64_t random_id, uint64_t message_id) {
  auto node = sending_.extract(random_id);
  if (node.empty()) return;
  files_[message_id] = node.mapped();
  if (files_.size() > kFilesKept) files_.erase(files_.begin());
}

void TerminalFiles::OnSynced() {
  std::deque<std::string> waiting;
  waiting.swap(waiting_);
  for (const std::string& line : waiting) Command(line);
  if (!std::exchange(cut_, false)) return;
  if (upload_) upload_->upload->Resume();
  if (download_ && download_->fresh) AskRange();
  if (download_ && !download_->fresh) AskDocument();
}

}  // namespace msgbed::live
