// redis::subscriber: a reader that sorts what Redis sends in subscribe mode into
// published messages (queued for receive()) and confirmations (handed, in order, to
// the subscribe-family call waiting for them).
#include "coronet/redis/subscriber.hpp"

#include "coronet/detail/scope_exit.hpp"
#include "session.hpp"

#include <deque>
#include <utility>

namespace coronet::redis {
namespace detail {

enum class sub_kind { subscribe, unsubscribe, psubscribe, punsubscribe };

inline const char* command_name(sub_kind k) noexcept {
  switch (k) {
    case sub_kind::subscribe:
      return "SUBSCRIBE";
    case sub_kind::unsubscribe:
      return "UNSUBSCRIBE";
    case sub_kind::psubscribe:
      return "PSUBSCRIBE";
    case sub_kind::punsubscribe:
      return "PUNSUBSCRIBE";
  }
  return "";
}

// One subscribe-family call: Redis confirms each of its channels with one reply.
struct sub_request {
  sub_request(const asio::any_io_executor& ex, sub_kind k, std::size_t n)
      : wake(ex), kind(k), remaining(n) {}
  coronet::detail::wakeup wake;
  sub_kind kind;
  std::size_t remaining;
  std::error_code error;
  std::string error_text;
  bool done() const noexcept { return remaining == 0 || error; }
};

class subscriber_session final : public session {
 public:
  subscriber_session(connection conn, const client_options& options)
      : session(std::move(conn), options), receive_wake_(executor()) {}

  static asio::awaitable<void> request(std::shared_ptr<subscriber_session> self, sub_kind kind,
                                       std::vector<std::string> names) {
    if (!self) throw_error(errc::connection_closed, "redis::subscriber: not connected");
    auto& s = *self;
    if (!s.open()) s.throw_closed("redis::subscriber");
    if (names.empty()) co_return;
    auto r = std::make_shared<sub_request>(s.executor(), kind, names.size());
    names.insert(names.begin(), command_name(kind));
    s.send(names);
    s.requests_.push_back(r);
    const auto at = s.deadline();
    while (!r->done()) {
      const bool woken = co_await r->wake.wait_until(at);
      if (!woken && !r->done())
        s.close(errc::timed_out, std::string{"redis::subscriber: "} + command_name(kind) +
                                     " not confirmed within command_timeout; the connection "
                                     "was closed");
    }
    if (!r->error) co_return;
    if (r->error_text.empty()) throw_error(r->error, s.reason_message());
    throw_error(r->error,
                std::string{"redis::subscriber: "} + command_name(kind) + ": " + r->error_text);
  }

  static asio::awaitable<message> receive(std::shared_ptr<subscriber_session> self) {
    if (!self) throw_error(errc::connection_closed, "redis::subscriber: not connected");
    auto& s = *self;
    for (;;) {
      if (!s.queue_.empty()) {
        message m = std::move(s.queue_.front());
        s.queue_.pop_front();
        if (!s.reading_paused()) s.resume_reading();
        co_return m;
      }
      if (!s.open()) throw_error(s.reason(), s.reason_message());
      co_await s.receive_wake_.wait();
    }
  }

  std::size_t queued() const noexcept { return queue_.size(); }
  // Messages a previous connection received and nobody took yet.
  void adopt_queue(subscriber_session& old) { queue_ = std::move(old.queue_); }

 private:
  void on_reply(resp::value reply) override {
    if (reply.is_error()) {
      // Redis refused a whole command (an ACL, a wrong argument count), or every command:
      // NOAUTH, a password is needed.
      const auto code = reply.text.starts_with("NOAUTH") || reply.text.starts_with("WRONGPASS")
                            ? errc::redis_auth_failed
                            : errc::bad_message;
      if (requests_.empty()) {
        close(code, "redis::subscriber: an error reply: " + reply.text);
        return;
      }
      auto r = std::move(requests_.front());
      requests_.pop_front();
      r->error = code;
      r->error_text = std::move(reply.text);
      r->wake.notify();
      return;
    }
    auto& e = reply.elements;
    if (!reply.is_array() || e.empty() || e[0].kind != resp::kind::bulk_string) {
      close(errc::bad_message, "redis::subscriber: an unexpected reply: " + resp::to_string(reply));
      return;
    }
    const std::string_view type = e[0].text;
    if (type == "message" && e.size() == 3) {
      queue_.push_back({std::move(e[1].text), std::move(e[2].text), {}});
      receive_wake_.notify();
      return;
    }
    if (type == "pmessage" && e.size() == 4) {
      queue_.push_back({std::move(e[2].text), std::move(e[3].text), std::move(e[1].text)});
      receive_wake_.notify();
      return;
    }
    if (type == "pong") return;
    if (e.size() == 3) {
      if (type == "subscribe") return confirm(sub_kind::subscribe);
      if (type == "unsubscribe") return confirm(sub_kind::unsubscribe);
      if (type == "psubscribe") return confirm(sub_kind::psubscribe);
      if (type == "punsubscribe") return confirm(sub_kind::punsubscribe);
    }
    close(errc::bad_message, "redis::subscriber: an unexpected reply: " + resp::to_string(reply));
  }

  void confirm(sub_kind kind) {
    if (requests_.empty() || requests_.front()->kind != kind) {
      close(errc::bad_message, std::string{"redis::subscriber: a confirmation of "} +
                                   command_name(kind) + " nobody asked for");
      return;
    }
    auto& r = *requests_.front();
    if (--r.remaining > 0) return;
    r.wake.notify();
    requests_.pop_front();
  }

  void on_close() noexcept override {
    for (auto& r : requests_) {
      r->error = reason();
      r->wake.notify();
    }
    requests_.clear();
    receive_wake_.notify();
  }

  bool reading_paused() const noexcept override {
    return queue_.size() >= options().max_queued_messages;
  }

  std::deque<message> queue_;
  std::deque<std::shared_ptr<sub_request>> requests_;
  coronet::detail::wakeup receive_wake_;
};

}  // namespace detail

subscriber::subscriber(std::string host, std::uint16_t port, client_options options,
                       std::shared_ptr<detail::subscriber_session> session) noexcept
    : host_(std::move(host)),
      port_(port),
      options_(std::move(options)),
      session_(std::move(session)) {}

subscriber::subscriber(subscriber&&) noexcept = default;

subscriber& subscriber::operator=(subscriber&& other) noexcept {
  if (this != &other) {
    close();
    host_ = std::move(other.host_);
    port_ = other.port_;
    options_ = std::move(other.options_);
    channels_ = std::move(other.channels_);
    patterns_ = std::move(other.patterns_);
    session_ = std::move(other.session_);
  }
  return *this;
}

subscriber::~subscriber() {
  close();
}

asio::awaitable<subscriber> subscriber::connect(std::string host, std::uint16_t port) {
  return connect(std::move(host), port, client_options{});
}

asio::awaitable<subscriber> subscriber::connect(std::string host, std::uint16_t port,
                                                client_options options) {
  auto conn = co_await detail::open_connection(host, port, options);
  auto session = std::make_shared<detail::subscriber_session>(std::move(conn), options);
  detail::session::start(session);
  // Named, not a braced temporary in the co_return: g++ 12 miscompiles those (it
  // copies the std::string members bitwise, leaving them pointing into this frame).
  subscriber result{std::move(host), port, std::move(options), std::move(session)};
  co_return result;
}

// Not coroutines: the sets change at the call, so reconnect() restores what was asked
// for even while the confirmation is still on its way.
asio::awaitable<void> subscriber::subscribe(std::vector<std::string> channels) {
  channels_.insert(channels.begin(), channels.end());
  return detail::subscriber_session::request(session_, detail::sub_kind::subscribe,
                                             std::move(channels));
}

asio::awaitable<void> subscriber::unsubscribe(std::vector<std::string> channels) {
  if (channels.empty()) channels.assign(channels_.begin(), channels_.end());
  for (const auto& c : channels)
    channels_.erase(c);
  return detail::subscriber_session::request(session_, detail::sub_kind::unsubscribe,
                                             std::move(channels));
}

asio::awaitable<void> subscriber::psubscribe(std::vector<std::string> patterns) {
  patterns_.insert(patterns.begin(), patterns.end());
  return detail::subscriber_session::request(session_, detail::sub_kind::psubscribe,
                                             std::move(patterns));
}

asio::awaitable<void> subscriber::punsubscribe(std::vector<std::string> patterns) {
  if (patterns.empty()) patterns.assign(patterns_.begin(), patterns_.end());
  for (const auto& p : patterns)
    patterns_.erase(p);
  return detail::subscriber_session::request(session_, detail::sub_kind::punsubscribe,
                                             std::move(patterns));
}

asio::awaitable<message> subscriber::receive() {
  return detail::subscriber_session::receive(session_);
}

bool subscriber::connected() const noexcept {
  return session_ && session_->open();
}

asio::awaitable<void> subscriber::reconnect() {
  close();
  auto conn = co_await detail::open_connection(host_, port_, options_);
  auto session = std::make_shared<detail::subscriber_session>(std::move(conn), options_);
  if (session_) session->adopt_queue(*session_);
  detail::session::start(session);
  session_ = session;
  // Named first: g++ 12 and temporaries in a co_await statement.
  auto channels = std::vector<std::string>(channels_.begin(), channels_.end());
  auto patterns = std::vector<std::string>(patterns_.begin(), patterns_.end());
  co_await detail::subscriber_session::request(session, detail::sub_kind::subscribe,
                                               std::move(channels));
  co_await detail::subscriber_session::request(session, detail::sub_kind::psubscribe,
                                               std::move(patterns));
}

void subscriber::close() noexcept {
  if (session_) session_->close(errc::connection_closed, "redis::subscriber: closed");
}

std::size_t subscriber::queued() const noexcept {
  return session_ ? session_->queued() : 0;
}

std::error_code subscriber::close_reason() const noexcept {
  return session_ ? session_->reason() : std::error_code{};
}

}  // namespace coronet::redis
