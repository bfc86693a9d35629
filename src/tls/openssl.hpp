// Internal to coronet::tls: owning handles for OpenSSL objects, error text, and the
// session that drives one SSL object over a socket descriptor.
#pragma once

#include "coronet/detail/tls_session.hpp"

#include <openssl/ssl.h>

#include <memory>
#include <string>
#include <string_view>

namespace coronet::tls::detail {

struct ctx_deleter {
  void operator()(SSL_CTX* c) const noexcept { SSL_CTX_free(c); }
};
using ctx_ptr = std::unique_ptr<SSL_CTX, ctx_deleter>;

// The reasons on OpenSSL's error queue for this thread, joined, and the queue cleared.
// `fallback` when the queue is empty.
std::string take_errors(std::string_view fallback = "unknown error");

// A new SSL_CTX with coronet's settings for every context: the minimum version, no
// renegotiation, partial writes, buffers released while idle.
ctx_ptr new_context(const SSL_METHOD* method, int min_version);

// Loads a certificate chain and its key into `ctx`; throws std::runtime_error saying
// which file and why.
void load_identity(SSL_CTX* ctx, const std::string& chain_file, const std::string& key_file);

// ALPN protocol names in the wire format (length-prefixed); throws for a bad name.
std::string alpn_wire(const std::vector<std::string>& protocols);

// A session on `descriptor` (not owned). `keepalive` holds what callbacks of `ssl`'s
// context point to. Takes ownership of `ssl`.
std::unique_ptr<coronet::detail::tls_session> make_session(SSL* ssl, int descriptor,
                                                           std::shared_ptr<const void> keepalive);

}  // namespace coronet::tls::detail
