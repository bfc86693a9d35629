// redis::client: commands matched to replies in order (the replies come back in the
// order the commands went out, so a queue of waiting calls is all the matching needs).
#include "coronet/redis/client.hpp"

#include "coronet/detail/scope_exit.hpp"
#include "session.hpp"

#include <asio/this_coro.hpp>

#include <deque>
#include <span>
#include <stdexcept>
#include <utility>

namespace coronet::redis {
namespace detail {

// One command() or pipeline() call waiting for its replies. Lives in that call's
// coroutine frame; the session points at it until it is answered, fails, or gives up.
struct reply_waiter {
  explicit reply_waiter(const asio::any_io_executor& ex) : wake(ex) {}
  coronet::detail::wakeup wake;
  resp::value* results = nullptr;  // `expected` of them
  std::size_t expected = 0;
  std::size_t received = 0;
  std::uint64_t first = 0;  // the sequence number of its first reply
  std::error_code error;
  bool done() const noexcept { return received == expected || error; }
};

class client_session final : public session {
 public:
  using session::session;

  // Sends `commands` (in one write with whatever else is queued) and waits for their
  // replies into `results`. Pointers, not references: the caller's coroutine owns them
  // and awaits this directly.
  static asio::awaitable<void> exchange(std::shared_ptr<client_session> self,
                                        const std::vector<std::string>* commands, std::size_t n,
                                        resp::value* results) {
    auto& s = *self;
    if (!s.open()) s.throw_closed("redis::client");
    for (std::size_t i = 0; i < n; ++i)
      if (commands[i].empty()) throw_error(errc::invalid_frame, "redis::client: an empty command");
    reply_waiter w{s.executor()};
    w.results = results;
    w.expected = n;
    w.first = s.popped_ + s.slots_.size();
    for (std::size_t i = 0; i < n; ++i) {
      s.send(commands[i]);
      s.slots_.push_back(&w);
    }
    // However this coroutine ends (cancelled, destroyed), the session must stop
    // pointing at `w`; its replies are still read and dropped.
    coronet::detail::scope_exit forget{[&s, &w] { s.abandon(w); }};
    const auto at = s.deadline();
    while (!w.done()) {
      const bool woken = co_await w.wake.wait_until(at);
      if (!woken && !w.done())
        s.close(errc::timed_out, "redis::client: no reply within command_timeout (" +
                                     std::to_string(s.options().command_timeout.count()) +
                                     " ms); the connection was closed");
    }
    if (w.error) throw_error(w.error, s.reason_message());
  }

 private:
  void on_reply(resp::value reply) override {
    if (slots_.empty()) {
      close(errc::bad_message,
            "redis::client: a reply to no command (pub/sub needs redis::subscriber)");
      return;
    }
    reply_waiter* w = slots_.front();
    slots_.pop_front();
    ++popped_;
    if (w == nullptr) return;  // its caller gave up
    w->results[w->received++] = std::move(reply);
    if (w->received == w->expected) w->wake.notify();
  }

  void on_close() noexcept override {
    for (reply_waiter* w : slots_) {
      if (w == nullptr || w->error) continue;
      w->error = reason();
      w->wake.notify();
    }
    popped_ += slots_.size();
    slots_.clear();
  }

  void abandon(const reply_waiter& w) noexcept {
    for (std::size_t k = w.received; k < w.expected; ++k) {
      const std::uint64_t seq = w.first + k;
      if (seq >= popped_ && seq - popped_ < slots_.size())
        slots_[static_cast<std::size_t>(seq - popped_)] = nullptr;
    }
  }

  std::deque<reply_waiter*> slots_;  // one per reply still expected, in order
  std::uint64_t popped_ = 0;         // replies taken off slots_ so far
};

asio::awaitable<resp::value> command(std::shared_ptr<client_session> s,
                                     std::vector<std::string> args) {
  if (!s) throw_error(errc::connection_closed, "redis::client: not connected");
  resp::value result;
  co_await client_session::exchange(std::move(s), &args, 1, &result);
  co_return result;
}

asio::awaitable<std::vector<resp::value>> pipeline(std::shared_ptr<client_session> s,
                                                   std::vector<std::vector<std::string>> commands) {
  if (!s) throw_error(errc::connection_closed, "redis::client: not connected");
  std::vector<resp::value> results(commands.size());
  if (!commands.empty())
    co_await client_session::exchange(std::move(s), commands.data(), commands.size(),
                                      results.data());
  co_return results;
}

}  // namespace detail

client::client(std::string host, std::uint16_t port, client_options options,
               std::shared_ptr<detail::client_session> session) noexcept
    : host_(std::move(host)),
      port_(port),
      options_(std::move(options)),
      session_(std::move(session)) {}

client::client(client&&) noexcept = default;

client& client::operator=(client&& other) noexcept {
  if (this != &other) {
    close();
    host_ = std::move(other.host_);
    port_ = other.port_;
    options_ = std::move(other.options_);
    session_ = std::move(other.session_);
  }
  return *this;
}

client::~client() {
  close();
}

asio::awaitable<client> client::connect(std::string host, std::uint16_t port) {
  return connect(std::move(host), port, client_options{});
}

asio::awaitable<client> client::connect(std::string host, std::uint16_t port,
                                        client_options options) {
  auto conn = co_await detail::open_connection(host, port, options);
  auto session = std::make_shared<detail::client_session>(std::move(conn), options);
  detail::session::start(session);
  // Named, not a braced temporary in the co_return: g++ 12 miscompiles those (it
  // copies the std::string members bitwise, leaving them pointing into this frame).
  client result{std::move(host), port, std::move(options), std::move(session)};
  co_return result;
}

asio::awaitable<resp::value> client::command(std::vector<std::string> args) {
  return detail::command(session_, std::move(args));
}

asio::awaitable<std::vector<resp::value>> client::pipeline(
    std::vector<std::vector<std::string>> commands) {
  return detail::pipeline(session_, std::move(commands));
}

bool client::connected() const noexcept {
  return session_ && session_->open();
}

asio::awaitable<void> client::reconnect() {
  close();
  auto conn = co_await detail::open_connection(host_, port_, options_);
  auto session = std::make_shared<detail::client_session>(std::move(conn), options_);
  detail::session::start(session);
  session_ = std::move(session);
}

void client::close() noexcept {
  if (session_) session_->close(errc::connection_closed, "redis::client: closed");
}

std::error_code client::close_reason() const noexcept {
  return session_ ? session_->reason() : std::error_code{};
}

}  // namespace coronet::redis
