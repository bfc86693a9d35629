// coronet-loadgen: the client side of TLS, on asio::ssl (OpenSSL) over the loadgen's own
// TCP sockets. Deliberately not coronet's TLS: the load generator must not share code
// with the server it measures.
#include "loadgen.hpp"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <stdexcept>

namespace loadgen {

std::shared_ptr<asio::ssl::context> make_tls_context(const config& cfg) {
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  if (cfg.tls_insecure) {
    ctx->set_verify_mode(asio::ssl::verify_none);  // testing only: anyone could answer
  } else {
    ctx->set_verify_mode(asio::ssl::verify_peer);
    if (cfg.tls_ca.empty())
      ctx->set_default_verify_paths();
    else
      ctx->load_verify_file(cfg.tls_ca);
  }
  return ctx;
}

std::string agreed(tls_stream& s) {
  return std::string(SSL_get_version(s.native_handle())) + " " +
         SSL_CIPHER_get_name(SSL_get_current_cipher(s.native_handle()));
}

void stream_slot::reset(asio::io_context& io, asio::ssl::context* ssl, const config& cfg) {
  plain.reset();
  tls.reset();
  if (ssl == nullptr) {
    plain.emplace(io);
    return;
  }
  tls.emplace(io, *ssl);
  SSL* handle = tls->native_handle();
  // The server's name: SNI when it is a DNS name, and what its certificate must show
  // (a DNS name or an IP address) unless --tls-insecure. Every handshake is a full one:
  // a fresh SSL object offers no session to resume.
  std::error_code not_ip;
  asio::ip::make_address(cfg.host, not_ip);
  bool ok = true;
  if (not_ip)  // SSL_set_tlsext_host_name is a macro with a C cast inside
    ok = SSL_ctrl(handle, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                  const_cast<char*>(cfg.host.c_str())) == 1;
  if (ok && !cfg.tls_insecure)
    ok = not_ip ? SSL_set1_host(handle, cfg.host.c_str()) == 1
                : X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(handle), cfg.host.c_str()) == 1;
  if (!ok) throw std::runtime_error("cannot use the server name " + cfg.host + " for TLS");
}

}  // namespace loadgen
