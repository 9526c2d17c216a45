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

// `security.tls`: mutual TLS on the links between services. Each process
// presents cert (signed by the deployment's CA) and accepts only peers
// whose certificates ca signed.
struct LinkTlsFiles {
  std::string cert, key, ca;
  bool enabled() const { return !cert.empty() || !key.empty() || !ca.empty(); }
  friend bool operator==(const LinkTlsFiles&, const LinkTlsFiles&) = default;
};

}  // namespace msgbed::live
