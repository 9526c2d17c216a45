// TlsFiles: where a TLS listener's certificate and key are (live/tls.h).
#pragma once

#include <string>

namespace msgbed::live {

// PEM files. cert: the certificate chain, leaf first; key: its private key.
struct TlsFiles {
  std::string cert, key;
  bool enabled() const { return !cert.empty() || !key.empty(); }
  friend bool operator==(const TlsFiles&, const TlsFiles&) = default;
};

}  // namespace msgbed::live
