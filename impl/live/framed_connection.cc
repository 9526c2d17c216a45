#include "live/framed_connection.h"

namespace msgbed::live {

FramedConnection::FramedConnection(tcp::socket socket, FrameLimits limits)
    : socket_(std::move(socket)),
      limits_(limits),
      decoder_(limits.max_frame_bytes),
      read_buf_(limits.read_buffer_bytes) {
  NotePeer();
}

FramedConnection::FramedConnection(std::unique_ptr<TlsStream> tls, FrameLimits limits)
    : tls_(std::move(tls)),
      socket_(tls_->get_executor()),
      limits_(limits),
      decoder_(limits.max_frame_bytes),
      read_buf_(limits.read_buffer_bytes) {
  NotePeer();
}

void FramedConnection::NotePeer() {
  boost::system::error_code ec;
  const auto ep = socket().remote_endpoint(ec);
  peer_address_ = ec ? "?" : ep.address().to_string();
  peer_ = ec ? "?" : peer_address_ + ":" + std::to_string(ep.port());
  socket().set_option(tcp::no_delay(true), ec);
}

void FramedConnection::Start(FrameHandler on_frame, CloseHandler on_close, CloseHandler on_protocol_error) {
  on_frame_ = std::move(on_frame);
  on_close_ = std::move(on_close);
  on_protocol_error_ = std::move(on_protocol_error);
  Read();
}

void FramedConnection::Read() {
  auto done = [self = shared_from_this()](boost::system::error_code ec, size_t n) {
    if (!self->open_ || self->draining_) return;
    if (ec)
      return self->Close(ec == asio::error::eof || ec == ssl::error::stream_truncated ? "peer closed" : ec.message());
    self->OnRead(n);
  };
  if (tls_) return tls_->async_read_some(asio::buffer(read_buf_), std::move(done));
  socket_.async_read_some(asio::buffer(read_buf_), std::move(done));
}

void FramedConnection::OnRead(size_t n) {
  decoder_.Feed(read_buf_.data(), n);
  std::string body;
  for (;;) {
    switch (decoder_.Next(&body)) {
      case FrameDecoder::Result::kNeedMore:
        if (decoder_.buffered() == 0) {
          partial_since_.reset();
        } else if (!partial_since_) {
          partial_since_ = std::chrono::steady_clock::now();
        }
        return Read();
      case FrameDecoder::Result::kTooLarge: {
        const std::string why = "frame over " + std::to_string(limits_.max_frame_bytes) + " bytes";
        if (!on_protocol_error_) return Close(why);
        on_protocol_error_(why);
        if (open_ && !draining_) Close(why);  // the handler must close; make sure
        return;
      }
      case FrameDecoder::Result::kFrame:
        partial_since_.reset();
        on_frame_(body);
        if (!open_ || draining_) return;  // the handler closed us
        break;
    }
  }
}

void FramedConnection::Write(std::string_view body) {
  if (!open_ || draining_) return;
  if (pending_bytes() + kFrameHeaderBytes + body.size() > limits_.max_pending_bytes) {
    return Close("slow consumer: over " + std::to_string(limits_.max_pending_bytes) + " bytes unsent");
  }
  AppendFrame(body, &pending_);
  if (!writing_) WriteMore();
}

void FramedConnection::WriteMore() {
  if (!open_) {
    writing_ = false;
    return;
  }
  if (pending_.empty()) {
    writing_ = false;
    if (draining_) return Close(drain_reason_);
    if (on_drained_) on_drained_();
    return;
  }
  writing_ = true;
  in_flight_.swap(pending_);
  pending_.clear();
  auto done = [self = shared_from_this()](boost::system::error_code ec, size_t) {
    // Keep no more memory than a burst needs, once it is out.
    if (self->in_flight_.capacity() > 64 * 1024) {
      std::string().swap(self->in_flight_);
    } else {
      self->in_flight_.clear();
    }
    if (ec) return self->Close(ec.message());
    self->WriteMore();
  };
  if (tls_) return asio::async_write(*tls_, asio::buffer(in_flight_), std::move(done));
  asio::async_write(socket_, asio::buffer(in_flight_), std::move(done));
}

void FramedConnection::CloseAfterFlush(const std::string& reason, std::chrono::milliseconds bound) {
  if (!open_ || draining_) return;
  draining_ = true;
  drain_reason_ = reason;
  if (!writing_) return Close(reason);
  drain_timer_ = std::make_unique<asio::steady_timer>(socket().get_executor(), bound);
  drain_timer_->async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (!ec) self->Close(self->drain_reason_ + " (unsent output dropped)");
  });
}

void FramedConnection::Close(const std::string& reason) {
  if (!open_) return;
  open_ = false;
  boost::system::error_code ignored;
  socket().shutdown(tcp::socket::shutdown_both, ignored);
  socket().close(ignored);
  pending_.clear();
  if (drain_timer_) drain_timer_->cancel();
  // The handlers go after this one call: one that holds the connection's
  // owner (as the router's inbound links do) would otherwise keep both alive.
  asio::post(socket().get_executor(), [self = shared_from_this(), reason] {
    CloseHandler on_close = std::move(self->on_close_);
    self->on_frame_ = nullptr;
    self->on_protocol_error_ = nullptr;
    if (on_close) on_close(reason);
  });
}

}  // namespace msgbed::live
