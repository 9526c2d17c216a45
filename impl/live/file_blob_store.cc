#include "live/file_blob_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/sha256.h"

namespace msgbed::live {
namespace fs = std::filesystem;
namespace {

constexpr size_t kChunk = 1 << 20;

Status Errno(const std::string& what, const fs::path& path) {
  return Status::IoError(what + " " + path.string() + ": " + std::strerror(errno));
}

// An open file descriptor, closed when it goes.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  bool ok() const { return fd_ >= 0; }

 private:
  int fd_;
};

Status WriteAll(int fd, std::string_view bytes, const fs::path& path) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Errno("write", path);
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

Status SyncDir(const fs::path& dir) {
  Fd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.ok()) return Errno("open", dir);
  if (::fsync(fd.get()) != 0) return Errno("fsync", dir);
  return Status::Ok();
}

// Reads [offset, offset + limit) of path, fewer at its end.
Status ReadRange(const fs::path& path, uint64_t offset, uint64_t limit, std::string* out) {
  out->clear();
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.ok()) return errno == ENOENT ? Status::NotFound("no file " + path.string()) : Errno("open", path);
  while (limit > 0) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(limit, kChunk));
    const size_t had = out->size();
    out->resize(had + want);
    const ssize_t n = ::pread(fd.get(), out->data() + had, want, static_cast<off_t>(offset));
    if (n < 0 && errno == EINTR) {
      out->resize(had);
      continue;
    }
    if (n < 0) return Errno("read", path);
    out->resize(had + static_cast<size_t>(n));
    if (n == 0) break;
    offset += static_cast<uint64_t>(n);
    limit -= static_cast<uint64_t>(n);
  }
  return Status::Ok();
}

}  // namespace

Status FileBlobStore::Fsync(int fd, const fs::path& path) const {
  return !sync_ || ::fsync(fd) == 0 ? Status::Ok() : Errno("fsync", path);
}

Status FileBlobStore::Publish(const fs::path& tmp, const fs::path& to) const {
  std::error_code ec;
  fs::create_directories(to.parent_path(), ec);
  if (ec) return Status::IoError("mkdir " + to.parent_path().string() + ": " + ec.message());
  if (::rename(tmp.c_str(), to.c_str()) != 0) return Errno("rename to", to);
  return sync_ ? SyncDir(to.parent_path()) : Status::Ok();
}

Status FileBlobStore::Open(const fs::path& dir, bool sync, std::unique_ptr<FileBlobStore>* out) {
  // Directories are made when first written to: most roles store no blobs.
  std::error_code ec;
  fs::remove_all(dir / "tmp", ec);  // half-written files of a crashed run
  if (ec) return Status::IoError("remove " + (dir / "tmp").string() + ": " + ec.message());
  out->reset(new FileBlobStore(dir, sync));
  return Status::Ok();
}

fs::path FileBlobStore::BlobPath(std::string_view sha256) const {
  const std::string hex = Hex(sha256);
  return dir_ / "blobs" / hex.substr(0, 2) / hex;
}

fs::path FileBlobStore::PartPath(std::string_view upload, uint32_t part) const {
  char name[16];
  std::snprintf(name, sizeof name, "%08u", part);
  return dir_ / "uploads" / std::string(upload) / name;
}

fs::path FileBlobStore::NewTmp() {
  std::error_code ec;
  fs::create_directories(dir_ / "tmp", ec);  // a failure shows when the file is created
  return dir_ / "tmp" / std::to_string(next_tmp_++);
}

Status FileBlobStore::PutPart(std::string_view upload, uint32_t part, std::string_view bytes) {
  if (!ValidUploadName(upload)) return Status::Invalid("bad upload name '" + std::string(upload) + "'");
  const fs::path tmp = NewTmp();
  {
    Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd.ok()) return Errno("create", tmp);
    if (Status s = WriteAll(fd.get(), bytes, tmp); !s.ok()) return s;
    if (Status s = Fsync(fd.get(), tmp); !s.ok()) return s;
  }
  return Publish(tmp, PartPath(upload, part));
}

Status FileBlobStore::ReadPart(std::string_view upload, uint32_t part, std::string* out) {
  if (!ValidUploadName(upload)) return Status::Invalid("bad upload name '" + std::string(upload) + "'");
  return ReadRange(PartPath(upload, part), 0, UINT64_MAX, out);
}

Status FileBlobStore::Seal(std::string_view upload, uint32_t parts, std::string_view sha256) {
  if (!ValidUploadName(upload)) return Status::Invalid("bad upload name '" + std::string(upload) + "'");
  const fs::path tmp = NewTmp();
  Sha256 hash;
  {
    Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd.ok()) return Errno("create", tmp);
    std::string bytes;
    for (uint32_t i = 0; i < parts; ++i) {
      Status s = ReadRange(PartPath(upload, i), 0, UINT64_MAX, &bytes);
      if (s.IsNotFound()) s = Status::NotFound("part " + std::to_string(i) + " of " + std::string(upload));
      if (s.ok()) s = WriteAll(fd.get(), bytes, tmp);
      if (!s.ok()) {
        ::unlink(tmp.c_str());
        return s;
      }
      hash.Update(bytes);
    }
    if (Status s = Fsync(fd.get(), tmp); !s.ok()) return s;
  }
  const bool matches = hash.Finish() == sha256;
  const fs::path to = BlobPath(sha256);
  std::error_code ec;
  Status s;
  if (!matches || fs::exists(to, ec)) {
    ::unlink(tmp.c_str());
  } else {
    s = Publish(tmp, to);
  }
  if (!s.ok()) return s;
  if (Status dropped = DropUpload(upload); !dropped.ok()) return dropped;
  return matches ? Status::Ok()
                 : Status::Corruption("the parts of " + std::string(upload) + " do not hash to the blob's name");
}

Status FileBlobStore::DropUpload(std::string_view upload) {
  if (!ValidUploadName(upload)) return Status::Invalid("bad upload name '" + std::string(upload) + "'");
  std::error_code ec;
  fs::remove_all(dir_ / "uploads" / std::string(upload), ec);
  if (ec) return Status::IoError("remove " + std::string(upload) + ": " + ec.message());
  return Status::Ok();
}

Status FileBlobStore::Read(std::string_view sha256, uint64_t offset, uint64_t limit, std::string* out) {
  Status s = ReadRange(BlobPath(sha256), offset, limit, out);
  return s.IsNotFound() ? Status::NotFound("no such blob") : s;
}

Status FileBlobStore::Delete(std::string_view sha256) {
  const fs::path path = BlobPath(sha256);
  if (::unlink(path.c_str()) != 0) return errno == ENOENT ? Status::Ok() : Errno("unlink", path);
  return sync_ ? SyncDir(path.parent_path()) : Status::Ok();
}

}  // namespace msgbed::live
