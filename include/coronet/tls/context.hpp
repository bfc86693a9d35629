/// @file
/// @code{.unparsed}
/// coronet::tls: TLS 1.2 and 1.3 through OpenSSL, for servers (server_options::tls) and
/// clients (connect_options::tls). Target coronet::tls; the only part of coronet that
/// needs OpenSSL.
///
///   #include <coronet/coronet.hpp>
///   #include <coronet/tls.hpp>
///
///   coronet::server_options options{.port = 7443};
///   options.tls = coronet::tls::make_server_context({
///       .certificate_chain_file = "server.pem",   // PEM: certificate, then intermediates
///       .private_key_file = "server.key",
///   });
///   coronet::server{options}.run(echo);            // the same handler as over TCP
///
///   // A client that trusts a private CA:
///   auto ctx = coronet::tls::make_client_context({.ca_file = "ca.pem"});
///   const coronet::connect_options how{.tls = ctx};   // named: see connect.hpp
///   auto conn = co_await coronet::connect("localhost", 7443, how);
///
/// Certificate rotation: server_context::reload() re-reads the files while the server
/// runs. New connections get the new certificate; existing ones are untouched; a reload
/// that fails throws and leaves the old certificate in place. docs/tls.md has a
/// walk-through with scripts/make-cert.sh.
/// @endcode
#pragma once

#include "coronet/core/tls_context.hpp"

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace coronet::tls {

/// A TLS protocol version: TLS 1.2 or TLS 1.3.
enum class version {
  tls1_2,  ///< TLS 1.2
  tls1_3,  ///< TLS 1.3
};

/// What make_server_context() loads: the server's certificate and key, mutual TLS, ALPN.
struct server_options {
  std::string certificate_chain_file{};  ///< PEM: the server's certificate, then intermediates
  std::string private_key_file{};        ///< PEM, unencrypted
  /// Mutual TLS: verify client certificates against these CAs (PEM).
  std::string client_ca_file{};
  /// With client_ca_file: refuse a client that sends no certificate. false: such clients
  /// are served (conn.tls()->peer_subject is empty); certificates sent are still verified.
  bool require_client_certificate = true;
  version min_version = version::tls1_2;  ///< the oldest version accepted from a client
  /// ALPN protocols the server accepts, most preferred first ("h2", "redis", ...). A
  /// client that offers only others is refused (RFC 7301); one that offers none is served.
  std::vector<std::string> alpn{};
};

/// The OpenSSL context of a TLS server, made from server_options; reloadable.
class server_context final : public tls_context {
 public:
  /// Loads the files now. Throws std::runtime_error naming the file and the reason (no
  /// such file, not PEM, a key that does not match the certificate, ...).
  explicit server_context(server_options options);
  ~server_context() override;

  /// Re-reads the certificate chain, key and client CA from the same files. Safe from
  /// any thread while the server runs. On failure throws std::runtime_error and keeps
  /// serving the old certificate.
  void reload();

  /// The options this context was made with.
  const server_options& options() const noexcept;

  std::unique_ptr<detail::tls_session> make_session(int descriptor,
                                                    std::string_view server_name) override;

  struct impl;

 private:
  std::shared_ptr<impl> impl_;
};

/// What make_client_context() loads: the CAs to trust, a client certificate, ALPN.
struct client_options {
  /// PEM file of the CAs to trust. Empty: the system's store (/etc/ssl/certs).
  std::string ca_file{};
  /// TESTING ONLY: accept any certificate for any name. A man in the middle can then read
  /// and change everything; never set this in production.
  bool insecure_skip_verify = false;
  /// Mutual TLS: the client's own certificate and key (PEM).
  std::string certificate_chain_file{};
  std::string private_key_file{};         ///< PEM, unencrypted; with certificate_chain_file
  version min_version = version::tls1_2;  ///< the oldest version accepted from a server
  std::vector<std::string> alpn{};        ///< protocols to offer, most preferred first
};

/// The OpenSSL context of a TLS client, made from client_options.
class client_context final : public tls_context {
 public:
  /// Throws std::runtime_error naming the file and the reason.
  explicit client_context(client_options options);
  ~client_context() override;

  /// The options this context was made with.
  const client_options& options() const noexcept;

  /// `server_name` is checked against the certificate (a DNS name or an IP address) and
  /// sent as SNI when it is a DNS name.
  std::unique_ptr<detail::tls_session> make_session(int descriptor,
                                                    std::string_view server_name) override;

  struct impl;

 private:
  std::shared_ptr<impl> impl_;
};

/// A server context for server_options::tls; throws std::runtime_error as server_context().
inline std::shared_ptr<server_context> make_server_context(server_options options) {
  return std::make_shared<server_context>(std::move(options));
}

/// A client context for connect_options::tls; throws std::runtime_error as client_context().
inline std::shared_ptr<client_context> make_client_context(client_options options) {
  return std::make_shared<client_context>(std::move(options));
}

/// Verifies servers against the system's CA store. An overload rather than a default
/// argument: g++ 12 corrupts a defaulted `= {}` temporary that holds a std::string when
/// the call sits in a co_await statement (docs/tls.md, "Known compiler issue").
inline std::shared_ptr<client_context> make_client_context() {
  return make_client_context(client_options{});
}

}  // namespace coronet::tls
