// coronet::tls::server_context and client_context: OpenSSL contexts built from
// options, and the sessions they start.
#include "coronet/tls/context.hpp"

#include "openssl.hpp"

#include <asio/ip/address.hpp>

#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <mutex>
#include <stdexcept>
#include <string_view>
#include <utility>

namespace coronet::tls {
namespace detail {

ctx_ptr new_context(const SSL_METHOD* method, int min_version) {
  ctx_ptr ctx{SSL_CTX_new(method)};
  if (!ctx) throw std::runtime_error("coronet::tls: cannot create a context: " + take_errors());
  SSL_CTX_set_min_proto_version(ctx.get(), min_version);
  // No renegotiation (TLS 1.2): a write would otherwise have to wait for reads.
  // Unexpected EOF: a peer that closes TCP without close_notify ends its stream as plain
  // TCP does; the framing layer already reports a frame cut short.
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF);
  // Partial writes and moving buffers: what an asynchronous write loop does. Released
  // buffers: an idle connection keeps no read or write buffer (about 34 KiB otherwise).
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                                  SSL_MODE_RELEASE_BUFFERS);
  // Read whole records (and what follows) per recv, instead of a header then a body.
  SSL_CTX_set_read_ahead(ctx.get(), 1);
  return ctx;
}

void load_identity(SSL_CTX* ctx, const std::string& chain_file, const std::string& key_file) {
  ERR_clear_error();
  if (SSL_CTX_use_certificate_chain_file(ctx, chain_file.c_str()) != 1)
    throw std::runtime_error("coronet::tls: cannot load the certificate chain from " + chain_file +
                             ": " + take_errors());
  const auto mismatch = [&] {
    return std::runtime_error("coronet::tls: the private key in " + key_file +
                              " does not match the certificate in " + chain_file);
  };
  if (SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH) {
      ERR_clear_error();
      throw mismatch();
    }
    throw std::runtime_error("coronet::tls: cannot load the private key from " + key_file + ": " +
                             take_errors());
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    ERR_clear_error();
    throw mismatch();
  }
}

std::string alpn_wire(const std::vector<std::string>& protocols) {
  std::string wire;
  for (const auto& p : protocols) {
    if (p.empty() || p.size() > 255)
      throw std::invalid_argument("coronet::tls: an ALPN protocol name has 1 to 255 bytes");
    wire += static_cast<char>(p.size());
    wire += p;
  }
  return wire;
}

namespace {

int version_constant(version v) {
  return v == version::tls1_3 ? TLS1_3_VERSION : TLS1_2_VERSION;
}

}  // namespace
}  // namespace detail

// ---- server -------------------------------------------------------------------------

struct server_context::impl {
  server_options options;
  std::string alpn;  // wire format
  std::mutex mutex;  // guards ctx: reload() swaps it while sessions are made
  detail::ctx_ptr ctx;

  // Chooses the first of our protocols the client offers (RFC 7301: server's order).
  static int select_alpn(SSL*, const unsigned char** out, unsigned char* out_size,
                         const unsigned char* offered, unsigned int offered_size, void* arg) {
    const auto* self = static_cast<const impl*>(arg);
    unsigned char* chosen = nullptr;
    const auto* ours = reinterpret_cast<const unsigned char*>(self->alpn.data());
    if (SSL_select_next_proto(&chosen, out_size, ours, static_cast<unsigned int>(self->alpn.size()),
                              offered, offered_size) != OPENSSL_NPN_NEGOTIATED)
      return SSL_TLSEXT_ERR_ALERT_FATAL;  // no_application_protocol
    *out = chosen;
    return SSL_TLSEXT_ERR_OK;
  }

  detail::ctx_ptr build() {
    auto fresh =
        detail::new_context(TLS_server_method(), detail::version_constant(options.min_version));
    detail::load_identity(fresh.get(), options.certificate_chain_file, options.private_key_file);
    if (!options.client_ca_file.empty()) {
      const auto& ca = options.client_ca_file;
      STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(ca.c_str());
      if (names == nullptr || SSL_CTX_load_verify_locations(fresh.get(), ca.c_str(), nullptr) != 1)
        throw std::runtime_error("coronet::tls: cannot load the client CA from " + ca + ": " +
                                 detail::take_errors("no certificate in the file"));
      SSL_CTX_set_client_CA_list(fresh.get(), names);  // takes `names`
      SSL_CTX_set_verify(
          fresh.get(),
          SSL_VERIFY_PEER |
              (options.require_client_certificate ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0),
          nullptr);
    }
    // Sessions may be resumed; resumption with client certificates needs an id context.
    static constexpr std::string_view id = "coronet";
    SSL_CTX_set_session_id_context(fresh.get(), reinterpret_cast<const unsigned char*>(id.data()),
                                   static_cast<unsigned int>(id.size()));
    if (!alpn.empty()) SSL_CTX_set_alpn_select_cb(fresh.get(), select_alpn, this);
    return fresh;
  }
};

server_context::server_context(server_options options) : impl_(std::make_shared<impl>()) {
  impl_->options = std::move(options);
  impl_->alpn = detail::alpn_wire(impl_->options.alpn);
  impl_->ctx = impl_->build();
}

server_context::~server_context() = default;

void server_context::reload() {
  auto fresh = impl_->build();  // throws before anything changes
  std::lock_guard lock{impl_->mutex};
  impl_->ctx = std::move(fresh);  // sessions made earlier hold their own reference
}

const server_options& server_context::options() const noexcept {
  return impl_->options;
}

std::unique_ptr<coronet::detail::tls_session> server_context::make_session(int descriptor,
                                                                           std::string_view) {
  SSL* ssl = nullptr;
  {
    std::lock_guard lock{impl_->mutex};
    ssl = SSL_new(impl_->ctx.get());
  }
  if (ssl == nullptr)
    throw std::runtime_error("coronet::tls: cannot start a session: " + detail::take_errors());
  SSL_set_accept_state(ssl);
  return detail::make_session(ssl, descriptor, impl_);
}

// ---- client -------------------------------------------------------------------------

struct client_context::impl {
  client_options options;
  std::string alpn;  // wire format
  detail::ctx_ptr ctx;
};

client_context::client_context(client_options options) : impl_(std::make_shared<impl>()) {
  auto& s = impl_->options = std::move(options);
  impl_->alpn = detail::alpn_wire(s.alpn);
  impl_->ctx = detail::new_context(TLS_client_method(), detail::version_constant(s.min_version));
  SSL_CTX* ctx = impl_->ctx.get();
  if (!s.insecure_skip_verify) {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    const bool loaded = s.ca_file.empty()
                            ? SSL_CTX_set_default_verify_paths(ctx) == 1
                            : SSL_CTX_load_verify_locations(ctx, s.ca_file.c_str(), nullptr) == 1;
    if (!loaded)
      throw std::runtime_error("coronet::tls: cannot load the CA certificates from " +
                               (s.ca_file.empty() ? std::string("the system's store") : s.ca_file) +
                               ": " + detail::take_errors());
  }
  if (!s.certificate_chain_file.empty() || !s.private_key_file.empty())
    detail::load_identity(ctx, s.certificate_chain_file, s.private_key_file);
  if (!impl_->alpn.empty() &&
      SSL_CTX_set_alpn_protos(ctx, reinterpret_cast<const unsigned char*>(impl_->alpn.data()),
                              static_cast<unsigned int>(impl_->alpn.size())) != 0)
    throw std::runtime_error("coronet::tls: cannot set ALPN protocols: " + detail::take_errors());
}

client_context::~client_context() = default;

const client_options& client_context::options() const noexcept {
  return impl_->options;
}

std::unique_ptr<coronet::detail::tls_session> client_context::make_session(
    int descriptor, std::string_view server_name) {
  SSL* ssl = SSL_new(impl_->ctx.get());
  if (ssl == nullptr)
    throw std::runtime_error("coronet::tls: cannot start a session: " + detail::take_errors());
  SSL_set_connect_state(ssl);
  const std::string name{server_name};
  std::error_code not_ip;
  asio::ip::make_address(name, not_ip);
  bool ok = true;
  // SNI. SSL_set_tlsext_host_name is a macro with a C cast inside.
  if (not_ip && !name.empty())
    ok = SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                  const_cast<char*>(name.c_str())) == 1;
  if (ok && !impl_->options.insecure_skip_verify && !name.empty()) {
    ok = not_ip ? SSL_set1_host(ssl, name.c_str()) == 1
                : X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name.c_str()) == 1;
  }
  if (!ok) {
    SSL_free(ssl);
    throw std::runtime_error("coronet::tls: cannot use the server name '" + name +
                             "': " + detail::take_errors());
  }
  return detail::make_session(ssl, descriptor, impl_);
}

}  // namespace coronet::tls
