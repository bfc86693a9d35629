// TLS on the example programs' command lines, spelt the same in every program:
//
//   servers: --tls-cert FILE --tls-key FILE [--tls-client-ca FILE]
//   clients: --tls [--tls-ca FILE | --tls-insecure]
//
//   examples::tls_server_flags tls;                  // servers: through server_flags.hpp
//   tls.add(app);
//   examples::parse(app, argc, argv);
//   options.tls = tls.context();                     // null without --tls-cert
//   examples::reload_on_hangup reload{tls.context()}; // SIGHUP re-reads the files
//
// A server with --tls-cert speaks TLS only on its port. --tls-client-ca makes it require
// and verify client certificates (mutual TLS). scripts/make-cert.sh makes files to try.
#pragma once

#include "log.hpp"

#include <coronet/core/connect.hpp>
#include <coronet/tls.hpp>

#include <CLI/CLI.hpp>
#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>

#include <csignal>
#include <memory>
#include <string>
#include <thread>

namespace examples {

struct tls_server_flags {
  std::string cert, key, client_ca;

  bool enabled() const noexcept { return !cert.empty(); }

  void add(CLI::App& app) {
    auto* c =
        app.add_option("--tls-cert", cert, "TLS: certificate chain (PEM); the port speaks TLS only")
            ->type_name("FILE")
            ->check(CLI::ExistingFile);
    auto* k = app.add_option("--tls-key", key, "TLS: private key (PEM) of --tls-cert")
                  ->type_name("FILE")
                  ->check(CLI::ExistingFile);
    c->needs(k);
    k->needs(c);
    app.add_option("--tls-client-ca", client_ca,
                   "TLS: require client certificates signed by these CAs (PEM)")
        ->type_name("FILE")
        ->check(CLI::ExistingFile)
        ->needs(c);
  }

  // Loads the files (once); null when TLS was not asked for. Throws std::runtime_error
  // saying which file is wrong.
  std::shared_ptr<coronet::tls::server_context> context() {
    if (cert.empty()) return nullptr;
    if (!loaded_) {
      loaded_ = coronet::tls::make_server_context(
          {.certificate_chain_file = cert, .private_key_file = key, .client_ca_file = client_ca});
    }
    return loaded_;
  }

 private:
  std::shared_ptr<coronet::tls::server_context> loaded_;
};

struct tls_client_flags {
  bool tls = false;
  std::string ca;
  bool insecure = false;

  void add(CLI::App& app) {
    app.add_flag("--tls", tls, "connect over TLS, verifying the server against the system's CAs");
    auto* c = app.add_option("--tls-ca", ca, "TLS: trust the CAs in this file (PEM); implies --tls")
                  ->type_name("FILE")
                  ->check(CLI::ExistingFile);
    app.add_flag("--tls-insecure", insecure,
                 "TLS without verifying the server: for testing only; implies --tls")
        ->excludes(c);
  }

  // Null for plain TCP.
  std::shared_ptr<coronet::tls_context> context() const {
    if (!tls && ca.empty() && !insecure) return nullptr;
    return coronet::tls::make_client_context({.ca_file = ca, .insecure_skip_verify = insecure});
  }
};

// While alive, SIGHUP reloads the server's certificate and key from their files (new
// connections get them; a failed reload is logged and the old ones stay). Does nothing
// for a null context.
class reload_on_hangup {
 public:
  explicit reload_on_hangup(std::shared_ptr<coronet::tls::server_context> context) {
    if (!context) return;
    signals_.async_wait([this, context](std::error_code ec, int) { on_signal(ec, context); });
    thread_ = std::thread([this] { io_.run(); });
  }
  ~reload_on_hangup() {
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }
  reload_on_hangup(const reload_on_hangup&) = delete;
  reload_on_hangup& operator=(const reload_on_hangup&) = delete;

 private:
  void on_signal(std::error_code ec, const std::shared_ptr<coronet::tls::server_context>& context) {
    if (ec) return;
    try {
      context->reload();
      log_event(level::info, "tls_reload", {{"file", context->options().certificate_chain_file}},
                "TLS certificate reloaded from ", context->options().certificate_chain_file);
    } catch (const std::exception& e) {
      log_event(level::error, "tls_reload_failed", {{"error", e.what()}},
                "TLS certificate not reloaded (still serving the old one): ", e.what());
    }
    signals_.async_wait([this, context](std::error_code next, int) { on_signal(next, context); });
  }

  asio::io_context io_;
  asio::signal_set signals_{io_, SIGHUP};
  std::thread thread_;
};

}  // namespace examples
