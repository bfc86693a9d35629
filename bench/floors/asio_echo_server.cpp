// asio_echo_server: the overhead floor for the echo benchmarks. A hand-written Asio
// callback echo server, written the way an experienced Asio user would (the shape of
// Asio's own async_tcp_echo_server): one session object per connection with a 16 KiB
// buffer, async_read_some then async_write of what arrived, one io_context per thread
// with connections handed out round-robin, TCP_NODELAY on like coronet's server.
//
//   asio_echo_server --port 7100 [--threads 1] [--host 127.0.0.1]
//
// Deliberately no coronet code on the hot path; SIGINT/SIGTERM stop it.
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/signal_set.hpp>
#include <asio/write.hpp>

#include <array>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace {

class session : public std::enable_shared_from_this<session> {
 public:
  explicit session(asio::ip::tcp::socket socket) : socket_(std::move(socket)) {}

  void start() { read(); }

 private:
  void read() {
    socket_.async_read_some(asio::buffer(buffer_),
                            [self = shared_from_this()](std::error_code ec, std::size_t n) {
                              if (!ec) self->write(n);
                            });
  }

  void write(std::size_t n) {
    asio::async_write(socket_, asio::buffer(buffer_, n),
                      [self = shared_from_this()](std::error_code ec, std::size_t) {
                        if (!ec) self->read();
                      });
  }

  asio::ip::tcp::socket socket_;
  std::array<char, 16 * 1024> buffer_;  // what coronet's echo reads per call, too
};

class server {
 public:
  server(std::vector<std::unique_ptr<asio::io_context>>& contexts, const std::string& host,
         unsigned short port)
      : contexts_(contexts),
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
        std::make_shared<session>(std::move(socket))->start();
      }
      accept();
    });
  }

  std::vector<std::unique_ptr<asio::io_context>>& contexts_;
  asio::ip::tcp::acceptor acceptor_;
  std::size_t next_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  std::string host = "127.0.0.1";
  unsigned short port = 7100;
  std::size_t threads = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string name = argv[i];
    if (name == "--host")
      host = argv[i + 1];
    else if (name == "--port")
      port = static_cast<unsigned short>(std::atoi(argv[i + 1]));
    else if (name == "--threads")
      threads = static_cast<std::size_t>(std::atoi(argv[i + 1]));
    else {
      std::cerr << "usage: asio_echo_server [--host H] [--port P] [--threads N]\n";
      return 2;
    }
  }
  if (threads == 0) threads = 1;
  try {
    std::vector<std::unique_ptr<asio::io_context>> contexts;
    for (std::size_t i = 0; i < threads; ++i)
      contexts.push_back(std::make_unique<asio::io_context>(1));  // one thread each: no locks
    std::vector<asio::executor_work_guard<asio::io_context::executor_type>> work;
    for (auto& c : contexts)
      work.push_back(asio::make_work_guard(*c));

    server s{contexts, host, port};
    asio::signal_set signals{*contexts[0], SIGINT, SIGTERM};
    signals.async_wait([&](std::error_code, int) {
      s.stop();
      for (auto& c : contexts)
        c->stop();
    });
    std::cerr << "asio_echo_server listening on " << host << ":" << port << "\n";

    std::vector<std::thread> pool;
    for (std::size_t i = 1; i < threads; ++i)
      pool.emplace_back([&, i] { contexts[i]->run(); });
    contexts[0]->run();
    for (auto& c : contexts)
      c->stop();
    for (auto& t : pool)
      t.join();
  } catch (const std::exception& e) {
    std::cerr << "asio_echo_server: " << e.what() << "\n";
    return 1;
  }
}
