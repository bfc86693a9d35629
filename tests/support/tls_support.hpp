// Certificates for the TLS tests, made once per test process with scripts/make-cert.sh
// (so the script is tested too) and the openssl command, in a temporary directory.
//
//   const auto& c = coronet::test::certificates();
//   options.tls = coronet::tls::make_server_context({.certificate_chain_file = c.server_pem, ...});
#pragma once

#include "support.hpp"

#include <coronet/tls.hpp>

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#ifndef CORONET_SOURCE_DIR
#error "tls_support.hpp needs CORONET_SOURCE_DIR (tests/CMakeLists.txt)"
#endif

namespace coronet::test {

struct certificate_files {
  std::filesystem::path dir;
  std::string ca, server_pem, server_key, client_pem, client_key;  // scripts/make-cert.sh
  // Made here: a second CA with a server and a client certificate of its own; a
  // server certificate for another host name; an expired one; a renewed one for
  // localhost with another subject (for reload tests).
  std::string other_ca, other_server_pem, other_server_key, other_client_pem, other_client_key;
  std::string wrong_name_pem, wrong_name_key, expired_pem, expired_key, renewed_pem, renewed_key;
};

namespace detail {

inline void shell(const std::string& command) {
  const int status = std::system(command.c_str());
  REQUIRE_MESSAGE(status == 0, "failed: " << command);
}

// key NAME, then a certificate NAME.pem signed by CA_NAME with SUBJECT, DAYS and SANs.
inline void issue(const std::filesystem::path& dir, const std::string& name, const std::string& ca,
                  const std::string& subject, const std::string& days, const std::string& san) {
  const auto d = dir.string();
  shell("cd '" + d + "' && openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out " +
        name + ".key 2>/dev/null && openssl req -new -key " + name + ".key -subj '" + subject +
        "' -out " + name + ".csr && printf 'subjectAltName=" + san + "\\n' > " + name +
        ".ext && openssl x509 -req -in " + name + ".csr -CA " + ca + ".pem -CAkey " + ca +
        ".key -CAcreateserial -days " + days + " -extfile " + name + ".ext -out " + name +
        ".pem 2>/dev/null");
}

inline certificate_files make_certificates() {
  certificate_files c;
  char pattern[] = "/tmp/coronet-tls-XXXXXX";
  REQUIRE(::mkdtemp(pattern) != nullptr);
  c.dir = pattern;
  shell("'" CORONET_SOURCE_DIR "/scripts/make-cert.sh' '" + c.dir.string() + "' >/dev/null");
  shell("cd '" + c.dir.string() +
        "' && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "
        "other_ca.key -out other_ca.pem -days 30 -subj '/CN=other test CA' 2>/dev/null");
  issue(c.dir, "other_server", "other_ca", "/CN=localhost", "30", "DNS:localhost,IP:127.0.0.1");
  issue(c.dir, "other_client", "other_ca", "/CN=intruder", "30", "DNS:intruder");
  issue(c.dir, "wrong_name", "ca", "/CN=example.com", "30", "DNS:example.com");
  issue(c.dir, "expired", "ca", "/CN=localhost", "-1", "DNS:localhost,IP:127.0.0.1");
  issue(c.dir, "renewed", "ca", "/O=renewed/CN=localhost", "30", "DNS:localhost,IP:127.0.0.1");
  auto f = [&](const char* name) { return (c.dir / name).string(); };
  c.ca = f("ca.pem");
  c.server_pem = f("server.pem");
  c.server_key = f("server.key");
  c.client_pem = f("client.pem");
  c.client_key = f("client.key");
  c.other_ca = f("other_ca.pem");
  c.other_server_pem = f("other_server.pem");
  c.other_server_key = f("other_server.key");
  c.other_client_pem = f("other_client.pem");
  c.other_client_key = f("other_client.key");
  c.wrong_name_pem = f("wrong_name.pem");
  c.wrong_name_key = f("wrong_name.key");
  c.expired_pem = f("expired.pem");
  c.expired_key = f("expired.key");
  c.renewed_pem = f("renewed.pem");
  c.renewed_key = f("renewed.key");
  return c;
}

struct certificate_dir {
  certificate_files files = make_certificates();
  ~certificate_dir() {
    std::error_code ignored;
    std::filesystem::remove_all(files.dir, ignored);
  }
};

}  // namespace detail

inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Made on first use, removed when the test process exits.
inline const certificate_files& certificates() {
  static const detail::certificate_dir dir;
  return dir.files;
}

// Servers and clients of the TLS tests, trusting the test CA.
inline server_options tls_server(tls::server_options settings = {}) {
  const auto& c = certificates();
  if (settings.certificate_chain_file.empty()) {
    settings.certificate_chain_file = c.server_pem;
    settings.private_key_file = c.server_key;
  }
  server_options o;
  o.tls = tls::make_server_context(std::move(settings));
  o.observers.on_handshake_error = [](const error_info&) {};  // the tests count them instead
  return o;
}

inline std::shared_ptr<tls::client_context> trusting_client(tls::client_options s) {
  if (s.ca_file.empty()) s.ca_file = certificates().ca;
  return tls::make_client_context(std::move(s));
}

// Not a default argument: see make_client_context().
inline std::shared_ptr<tls::client_context> trusting_client() {
  return trusting_client(tls::client_options{});
}

inline asio::awaitable<connection> tls_connect(std::uint16_t port, std::shared_ptr<tls_context> ctx,
                                               std::string name = "localhost") {
  // Named, not a temporary in the co_await: g++ 12 relocates such a temporary bitwise,
  // which breaks its std::string (docs/getting-started.md, "Known compiler issues").
  const connect_options how{.tls = std::move(ctx), .server_name = std::move(name)};
  co_return co_await connect("127.0.0.1", port, how);
}

// The handshake's failure text, or "" if it succeeded.
inline asio::awaitable<std::string> failure_of(std::uint16_t port, std::shared_ptr<tls_context> ctx,
                                               std::string name = "localhost") {
  try {
    auto conn = co_await tls_connect(port, std::move(ctx), std::move(name));
    // TLS 1.3: a client certificate is judged after the client's handshake is done; the
    // refusal arrives as an alert on the first read.
    co_await conn.write(asio::buffer("ping\n", 5));
    char buf[16];
    auto n = co_await conn.read_some(asio::buffer(buf));
    if (n == 0) co_return "closed";
    co_return "";
  } catch (const std::system_error& e) {
    co_return e.what();
  }
}

}  // namespace coronet::test
