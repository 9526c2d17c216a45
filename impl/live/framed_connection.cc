#include "live/framed_connection.h"

namespace msgbed::live {

FramedConnection::FramedConnection(tcp::socket socket, size_t max_frame_bytes)
    : socket_(std::move(socket)), decoder_(max_frame_bytes) {
  boost::system::error_code ec;
  const auto ep = socket_.remote_endpoint(ec);
  peer_ = ec ? "?" : ep.address().to_string() + ":" + std::to_string(ep.port());
  socket_.set_option(tcp::no_delay(true), ec);
}

void FramedConnection::Start(FrameHandler on_frame, CloseHandler on_close) {
  on_frame_ = std::move(on_frame);
  on_close_ = std::move(on_close);
  Read();
}

void FramedConnection::Read() {
  socket_.async_read_some(asio::buffer(read_buf_), [self = shared_from_this()](boost::system::error_code ec, size_t n) {
    if (!self->open_) return;
    if (ec) return self->Close(ec == asio::error::eof ? "peer closed" : ec.message());
    self->OnRead(n);
  });
}

void FramedConnection::OnRead(size_t n) {
  decoder_.Feed(read_buf_.data(), n);
  std::string body;
  for (;;) {
    switch (decoder_.Next(&body)) {
      case FrameDecoder::Result::kNeedMore: return Read();
      case FrameDecoder::Result::kTooLarge: return Close("oversized frame");
      case FrameDecoder::Result::kFrame:
        on_frame_(body);
        if (!open_) return;  // the handler closed us
        break;
    }
  }
}

void FramedConnection::Write(std::string_view body) {
  if (!open_) return;
  AppendFrame(body, &pending_);
  if (!writing_) WriteMore();
}

void FramedConnection::WriteMore() {
  if (pending_.empty() || !open_) {
    writing_ = false;
    return;
  }
  writing_ = true;
  in_flight_.swap(pending_);
  pending_.clear();
  asio::async_write(socket_, asio::buffer(in_flight_),
                    [self = shared_from_this()](boost::system::error_code ec, size_t) {
                      self->in_flight_.clear();
                      if (ec) return self->Close(ec.message());
                      self->WriteMore();
                    });
}

void FramedConnection::Close(const std::string& reason) {
  if (!open_) return;
  open_ = false;
  boost::system::error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
  pending_.clear();
  if (on_close_) asio::post(socket_.get_executor(), [self = shared_from_this(), reason] { self->on_close_(reason); });
}

}  // namespace msgbed::live
