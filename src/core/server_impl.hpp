// coronet::server's implementation, shared by the files that define its parts:
//   server.cpp              the public methods, starting, listening, signals and shutdown
//   server_connections.cpp  each connection's life: accept, hand-over, opening, handler,
//                           close, and its counting and reporting
//   opening.cpp             the steps before a handler (PROXY header, TLS handshake)
// server.cpp's top comment walks a connection through all of them.
#pragma once

#include "address_range.hpp"
#include "server_support.hpp"

#include "coronet/core/server.hpp"
#include "coronet/detail/connection_state.hpp"

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <exception>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

namespace coronet {

struct server::impl {
  using tcp = asio::ip::tcp;
  struct worker {
    detail::connection_registry registry;  // outlives io: states unregister on destruction
    // No reactor locks: every socket and timer of a worker is created and used on that
    // worker's thread only (accepted sockets are handed over as descriptors, see
    // accept_loop()), which is what ASIO_CONCURRENCY_HINT_UNSAFE_IO asks. Posting to
    // the context from other threads stays safe: the scheduler keeps its lock.
    asio::io_context io{ASIO_CONCURRENCY_HINT_UNSAFE_IO};
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard;
    std::optional<tcp::acceptor> listener;  // reuse_port: this worker's own listener
    std::thread thread;
    std::size_t index = 0;
    detail::worker_counters counters;  // written on this worker's thread only
  };

  explicit impl(server_options o) : options(std::move(o)) {
    if (options.threads == 0) options.threads = 1;
    for (const auto& range : options.proxy.trusted)
      trusted.emplace_back(range);  // throws std::invalid_argument for a bad one
    if (options.proxy.trusted.empty()) {
      trusted.emplace_back("127.0.0.0/8");
      trusted.emplace_back("::1");
    }
    for (std::size_t i = 0; i < options.threads; ++i)
      workers.emplace_back().index = i;
  }

  server_options options;
  handler_type handler;
  std::list<worker> workers;              // list: stable addresses, io_context is not movable
  std::optional<tcp::acceptor> acceptor;  // without reuse_port: worker 0's listener
  bool bound = false;
  std::optional<asio::signal_set> signals;
  std::optional<asio::steady_timer> drain_timer;  // on worker 0; wakes the shutdown
  tcp::endpoint endpoint;
  std::atomic<std::size_t> count{0};
  // steady_clock ticks at start(); atomic because stats() may read it while start() runs.
  std::atomic<std::chrono::steady_clock::rep> started_at{0};
  std::vector<detail::address_range> trusted;  // options.proxy.trusted, parsed
  std::atomic<bool> started{false};
  std::atomic<bool> stop_requested{false};
  std::atomic<bool> forced{false};
  bool shutdown_begun = false;  // worker 0 only
  bool signalled = false;       // worker 0 only: a SIGINT or SIGTERM has arrived
  std::mutex join_mutex;

  ~impl() {
    // Handlers still suspended are destroyed with their io_context below; their
    // states must not post to contexts that are already gone.
    for (auto& w : workers)
      w.registry.on_remove = nullptr;
  }

  worker& main_worker() { return workers.front(); }

  void start(handler_type h, bool with_signals);

  static void run_worker(asio::io_context& io);

  // Listening sockets are made here, before any worker thread runs, so each is still
  // used only by the thread of its own io_context.
  void bind();

  // From listen() on when run() will handle signals: a SIGTERM that arrives between
  // listen() and run() (say, right after the program logged its address) is kept for
  // run() instead of killing the process.
  void catch_signals();

  // The first signal starts the drain, or joins one that stop() began; only a second
  // signal forces. (Counting stop() as the first made a program that stops a second
  // server on its way out, as chat_server --web does, force that server's connections
  // whenever its own copy of the signal arrived after the stop() call.)
  void wait_for_signal();

  // Accepts on `listener`. `own`: the worker this listener belongs to (reuse_port), which
  // serves all it accepts; null: worker 0's listener, dealt round robin.
  asio::awaitable<void> accept_loop(tcp::acceptor& listener, worker* own);

  // Gives an accepted socket (open on worker 0) to worker `w`. Another worker gets the
  // bare descriptor and opens its own socket object on it, on its own thread: a socket
  // registered with a reactor from a foreign thread is what UNSAFE_IO forbids.
  void hand_over(worker& w, tcp::socket socket, const tcp::endpoint& peer);

  void spawn(worker& w, tcp::socket socket, const tcp::endpoint& peer);

  // What runs before the handler: the PROXY header, then the TLS handshake, each only
  // when configured. A coroutine of its own, so plain TCP connections pay nothing for it.
  asio::awaitable<void> serve_prepared(worker& w, std::shared_ptr<detail::connection_state> state);

  // A connection refused before its handler: counted by the caller, reported once.
  void refuse_opening(detail::connection_state& s, std::error_code ec, const std::string& why);

  asio::awaitable<bool> handshake(detail::connection_state& s);

  asio::awaitable<bool> read_proxy_header(detail::connection_state& s);

  // The connection is over (on its worker's thread): count it under its cause, and tell
  // the observer.
  void count_close(worker& w, const detail::connection_state& s, const std::exception_ptr& e);

  void notify_open(const worker& w, const detail::connection_state& s);

  server_stats snapshot() const;

  void report(const detail::connection_state& s, std::exception_ptr e);

  // To the observer, or one line on stderr without one. An observer that throws must
  // not take the worker down.
  static void report_to(const std::function<void(const error_info&)>& observer,
                        const error_info& info) noexcept;

  // Runs on the thread of the registry that lost a connection.
  void on_connection_gone();

  void request_stop() noexcept;

  // On worker 0.
  void begin_shutdown();

  asio::awaitable<void> drain();

  void force_close_all();

  // On worker 0: let every io_context run dry; stop the ones whose handlers ignored
  // cancellation (their frames are destroyed with the server).
  void finish();

  void wait();
};

}  // namespace coronet
