// asio_ssl_echo_server: the overhead floor for the TLS echo benchmarks, the TLS
// counterpart of asio_echo_server.cpp. A hand-written Asio callback echo server on
// asio::ssl::stream, written the way an experienced Asio user would (the shape of Asio's
// own ssl/server.cpp example): one session object per connection with a 16 KiB buffer,
// async_handshake, then async_read_some and async_write of what arrived; one io_context
// per thread with connections handed out round-robin; TCP_NODELAY on like coronet's
// server; TLS 1.2 or 1.3 with OpenSSL's defaults otherwise.
//
//   asio_ssl_echo_server --port 7443 --tls-cert server.pem --tls-key server.key
//                        [--threads 1] [--host 127.0.0.1]
//
// Deliberately no coronet code on the hot path; SIGINT/SIGTERM stop it. A peer that
// closes without close_notify, or fails its handshake, just ends its session.
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/signal_set.hpp>
#include <asio/ssl/context.hpp>
#include <asio/ssl/stream.hpp>
#include <asio/write.hpp>

#include <openssl/ssl.h>

#include <array>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace {

using tls_socket = asio::ssl::stream<asio::ip::tcp::socket>;

class session : public std::enable_shared_from_this<session> {
 public:
  session(asio::ip::tcp::socket socket, asio::ssl::context& ctx)
      : stream_(std::move(socket), ctx) {}

  void start() {
    stream_.async_handshake(asio::ssl::stream_base::server,
                            [self = shared_from_this()](std::error_code ec) {
                              if (!ec) self->read();
                            });
  }

 private:
  void read() {
    stream_.async_read_some(asio::buffer(buffer_),
                            [self = shared_from_this()](std::error_code ec, std::size_t n) {
                              if (!ec) self->write(n);
                            });
  }

  void write(std::size_t n) {
    asio::async_write(stream_, asio::buffer(buffer_, n),
                      [self = shared_from_this()](std::error_code ec, std::size_t) {
                        if (!ec) self->read();
                      });
  }

  tls_socket stream_;
  std::array<char, 16 * 1024> buffer_;  // what coronet's echo reads per call, too
};

class server {
 public:
  server(std::vector<std::unique_ptr<asio::io_context>>& contexts, asio::ssl::context& tls,
         const std::string& host, unsigned short port)
      : contexts_(contexts),
        tls_(tls),
        acceptor_(*contexts[0], {asio::ip::make_address(host), port}, /*reuse_addr=*/true) {
    accept();
  }

  void stop() { acceptor_.close(); }

 private:
  void accept() {
    // Round-robin: the socket belongs to the next thread's context, so its handlers run
    // there without locks, as in coronet's server.
    auto& target = *contexts_[next_++ % contexts_.size()];
    acceptor_.async_accept(target, [this](std::error_code ec, asio::ip::tcp::socket socket) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) {
        socket.set_option(asio::ip::tcp::no_delay(true), ec);
        std::make_shared<session>(std::move(socket), tls_)->start();
      }
      accept();
    });
  }

  std::vector<std::unique_ptr<asio::io_context>>& contexts_;
  asio::ssl::context& tls_;
  asio::ip::tcp::acceptor acceptor_;
  std::size_t next_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1";
  unsigned short port = 7443;
  std::size_t threads = 1;
  std::string cert, key;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string name = argv[i];
    if (name == "--host")
      host = argv[i + 1];
    else if (name == "--port")
      port = static_cast<unsigned short>(std::atoi(argv[i + 1]));
    else if (name == "--threads")
      threads = static_cast<std::size_t>(std::atoi(argv[i + 1]));
    else if (name == "--tls-cert")
      cert = argv[i + 1];
    else if (name == "--tls-key")
      key = argv[i + 1];
    else
      cert.clear(), i = argc;  // unknown option: usage below
  }
  if (cert.empty() || key.empty() || argc % 2 == 0) {
    std::cerr << "usage: asio_ssl_echo_server --tls-cert FILE --tls-key FILE [--host H] "
                 "[--port P] [--threads N]\n";
    return 2;
  }
  if (threads == 0) threads = 1;
  // TLS writes go through write(2) on the socket, which raises SIGPIPE on a closed peer.
  std::signal(SIGPIPE, SIG_IGN);
  try {
    asio::ssl::context tls{asio::ssl::context::tls_server};
    SSL_CTX_set_min_proto_version(tls.native_handle(), TLS1_2_VERSION);
    tls.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::single_dh_use);
    tls.use_certificate_chain_file(cert);
    tls.use_private_key_file(key, asio::ssl::context::pem);

    std::vector<std::unique_ptr<asio::io_context>> contexts;
    for (std::size_t i = 0; i < threads; ++i)
      contexts.push_back(std::make_unique<asio::io_context>(1));  // one thread each: no locks
    std::vector<asio::executor_work_guard<asio::io_context::executor_type>> work;
    for (auto& c : contexts)
      work.push_back(asio::make_work_guard(*c));

    server s{contexts, tls, host, port};
    asio::signal_set signals{*contexts[0], SIGINT, SIGTERM};
    signals.async_wait([&](std::error_code, int) {
      s.stop();
      for (auto& c : contexts)
        c->stop();
    });
    std::cerr << "asio_ssl_echo_server listening on " << host << ":" << port << " (TLS)\n";

    std::vector<std::thread> pool;
    for (std::size_t i = 1; i < threads; ++i)
      pool.emplace_back([&, i] { contexts[i]->run(); });
    contexts[0]->run();
    for (auto& c : contexts)
      c->stop();
    for (auto& t : pool)
      t.join();
  } catch (const std::exception& e) {
    std::cerr << "asio_ssl_echo_server: " << e.what() << "\n";
    return 1;
  }
}
