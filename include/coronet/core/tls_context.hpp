/// @file
/// @code{.unparsed}
/// coronet::tls_context and coronet::tls_info: what the core needs to know about TLS,
/// without OpenSSL.
///
/// The core (coronet::coronet) runs TLS connections but does not link OpenSSL: it talks
/// to an abstract tls_context, and the coronet::tls target (coronet/tls.hpp) provides the
/// OpenSSL implementations. Turning TLS on is one line:
///
///   #include <coronet/tls.hpp>   // CMake: target_link_libraries(app PRIVATE coronet::tls)
///
///   coronet::server_options options{.port = 7443};
///   options.tls = coronet::tls::make_server_context({.certificate_chain_file = "cert.pem",
///                                                    .private_key_file = "key.pem"});
///
/// Handlers then get the same coronet::connection as over plain TCP; conn.tls() says
/// whether, and what was negotiated.
/// @endcode
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace coronet {
namespace detail {
class tls_session;
}

/// What a TLS connection negotiated (connection::tls()).
struct tls_info {
  std::string version;       ///< "TLSv1.3", "TLSv1.2"
  std::string cipher;        ///< "TLS_AES_256_GCM_SHA384", ...
  std::string alpn;          ///< the application protocol agreed on; empty: none
  std::string server_name;   ///< SNI: the host name the client asked for; empty: none sent
  std::string peer_subject;  ///< the peer certificate's subject (RFC 2253); empty: none
};

/// A source of TLS sessions: coronet::tls::server_context or client_context. Shared by
/// every connection that uses it and safe to use from any thread.
class tls_context {
 public:
  tls_context() = default;
  tls_context(const tls_context&) = delete;
  tls_context& operator=(const tls_context&) = delete;
  virtual ~tls_context() = default;

  /// Starts a TLS session over a connected, non-blocking socket descriptor. The session
  /// does not own the descriptor. `server_name`: the host a client expects (SNI and
  /// certificate check); ignored by a server context.
  virtual std::unique_ptr<detail::tls_session> make_session(int descriptor,
                                                            std::string_view server_name) = 0;
};

}  // namespace coronet
