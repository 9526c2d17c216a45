// Status: the result of an operation that can fail, as a value.
#pragma once

#include <string>
#include <utility>

namespace msgbed {

class Status {
 public:
  Status() = default;  // Ok
  static Status Ok() { return Status(); }
  static Status IoError(std::string msg) { return Status(Code::kIoError, std::move(msg)); }
  static Status Corruption(std::string msg) { return Status(Code::kCorruption, std::move(msg)); }
  static Status Invalid(std::string msg) { return Status(Code::kInvalid, std::move(msg)); }
  static Status NotFound(std::string msg) { return Status(Code::kNotFound, std::move(msg)); }

  bool ok() const { return code_ == Code::kOk; }
  bool IsInvalid() const { return code_ == Code::kInvalid; }
  bool IsCorruption() const { return code_ == Code::kCorruption; }
  bool IsNotFound() const { return code_ == Code::kNotFound; }
  const std::string& message() const { return message_; }

 private:
  enum class Code { kOk, kIoError, kCorruption, kInvalid, kNotFound };
  Status(Code c, std::string m) : code_(c), message_(std::move(m)) {}

  Code code_ = Code::kOk;
  std::string message_;
};

}  // namespace msgbed
