// Checks of TLS files before CAF uses them. Not installed.

#pragma once

#include <string>

#include <caf/error.hpp>

namespace tc::detail {

/// Loads `certificate`, `key` (with `passphrase`) and `ca` into an OpenSSL
/// context as CAF's openssl module will at the first connection, and checks
/// that the key belongs to the certificate. errc::bad_config naming the
/// file (or the missing setting) and OpenSSL's or the system's reason.
caf::error check_tls_files(const std::string& certificate,
                           const std::string& key, const std::string& ca,
                           const std::string& passphrase);

} // namespace tc::detail
