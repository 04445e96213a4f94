#include "timecontrol/net/detail/tls.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "timecontrol/core/error.hpp"

namespace tc::detail {

namespace {

/// OpenSSL's reasons queued on this thread, oldest first; clears them.
std::string openssl_reason() {
  std::string result;
  while (auto code = ERR_get_error()) {
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    if (!result.empty())
      result += "; ";
    result += text;
  }
  return result.empty() ? "unknown reason" : result;
}

caf::error bad(const std::string& what, const std::string& path,
               const std::string& why) {
  return make_error(errc::bad_config,
                    "tls: " + what + " '" + path + "': " + why);
}

/// A file that cannot be opened, with the system's reason.
caf::error unreadable(const std::string& what, const std::string& path) {
  auto* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr)
    return bad(what, path, std::strerror(errno));
  std::fclose(f);
  return {};
}

int passphrase_callback(char* buf, int size, int, void* user) {
  auto& passphrase = *static_cast<const std::string*>(user);
  auto n = std::min<size_t>(passphrase.size(), static_cast<size_t>(size));
  std::memcpy(buf, passphrase.data(), n);
  return static_cast<int>(n);
}

} // namespace

caf::error check_tls_files(const std::string& certificate,
                           const std::string& key, const std::string& ca,
                           const std::string& passphrase) {
  if (certificate.empty() || key.empty() || ca.empty())
    return make_error(errc::bad_config,
                      std::string{"tls: certificate, key and ca are all "
                                  "needed; missing: "} +
                          (certificate.empty() ? "certificate " : "") +
                          (key.empty() ? "key " : "") +
                          (ca.empty() ? "ca" : ""));
  for (auto [what, path] : {std::pair{"certificate", &certificate},
                            std::pair{"key", &key}, std::pair{"ca", &ca}})
    if (auto err = unreadable(what, *path))
      return err;
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx{
      SSL_CTX_new(TLS_method()), &SSL_CTX_free};
  if (!ctx)
    return make_error(errc::bad_config, "tls: " + openssl_reason());
  ERR_clear_error();
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), certificate.c_str()) != 1)
    return bad("certificate", certificate, openssl_reason());
  SSL_CTX_set_default_passwd_cb(ctx.get(), passphrase_callback);
  SSL_CTX_set_default_passwd_cb_userdata(ctx.get(),
                                         const_cast<std::string*>(&passphrase));
  if (SSL_CTX_use_PrivateKey_file(ctx.get(), key.c_str(), SSL_FILETYPE_PEM) !=
      1) {
    auto why = openssl_reason();
    if (why.find("key values mismatch") != std::string::npos)
      return bad("key", key,
                 "does not belong to the certificate '" + certificate + "'");
    if (passphrase.empty() && (why.find("decrypt") != std::string::npos ||
                               why.find("password") != std::string::npos))
      why += " (an encrypted key needs its passphrase)";
    return bad("key", key, why);
  }
  if (SSL_CTX_check_private_key(ctx.get()) != 1)
    return bad("key", key,
               "does not belong to the certificate '" + certificate + "'");
  if (SSL_CTX_load_verify_locations(ctx.get(), ca.c_str(), nullptr) != 1)
    return bad("ca", ca, openssl_reason());
  return {};
}

} // namespace tc::detail
