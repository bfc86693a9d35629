#include "session.hpp"

#include "coronet/connect.hpp"
#include "coronet/detail/read_buffer.hpp"
#include "coronet/timeout.hpp"

#include <asio/co_spawn.hpp>

#include <algorithm>
#include <array>
#include <exception>
#include <memory>
#include <utility>

namespace coronet::redis::detail {
namespace {

// Buffers above this are given back once empty, so one huge reply does not pin its
// memory for the connection's life.
constexpr std::size_t keep_buffer = std::size_t{64} * 1024;
constexpr std::size_t initial_read_buffer = std::size_t{16} * 1024;

asio::awaitable<connection> handshake(connection conn, client_options o) {
  resp_client_codec codec{o.limits};
  std::string out;
  std::vector<const char*> names;
  if (!o.password.empty()) {
    auto auth = o.username.empty() ? std::vector<std::string>{"AUTH", o.password}
                                   : std::vector<std::string>{"AUTH", o.username, o.password};
    codec.encode(auth, out);
    names.push_back("AUTH");
  }
  if (!o.client_name.empty()) {
    const auto setname = std::vector<std::string>{"CLIENT", "SETNAME", o.client_name};
    codec.encode(setname, out);
    names.push_back("CLIENT SETNAME");
  }
  co_await conn.write(asio::buffer(out));
  std::string in;
  std::array<char, 1024> chunk{};
  for (std::size_t answered = 0; answered < names.size();) {
    auto r = codec.decode(std::span<const char>{in.data(), in.size()});
    if (r.status == decode_status::ready) {
      in.erase(0, r.consumed);
      if (r.frame.is_error())
        throw_error(errc::handshake_failed,
                    std::string{"redis: "} + names[answered] + " failed: " + r.frame.text);
      ++answered;
      continue;
    }
    if (r.status == decode_status::fail) throw_error(r.error, "redis: a reply during connect");
    const auto n = co_await conn.read_some(asio::buffer(chunk));
    if (n == 0)
      throw_error(errc::connection_closed,
                  std::string{"redis: the server closed the connection during "} + names[answered]);
    in.append(chunk.data(), n);
  }
  co_return conn;
}

}  // namespace

asio::awaitable<connection> open_connection(std::string host, std::uint16_t port,
                                            client_options options) {
  auto conn = co_await coronet::connect(host, port, options.connect_timeout);
  if (options.password.empty() && options.client_name.empty()) co_return conn;
  const auto timeout = options.command_timeout;
  if (timeout.count() <= 0) co_return co_await handshake(std::move(conn), std::move(options));
  co_return co_await with_timeout(handshake(std::move(conn), std::move(options)), timeout);
}

session::session(connection conn, const client_options& options)
    : conn_(std::move(conn)),
      executor_(conn_.get_executor()),
      options_(options),
      codec_(options.limits),
      writer_wake_(executor_),
      read_gate_(executor_) {}

void session::start(const std::shared_ptr<session>& self) {
  // Both loops catch everything and report it through close(); a fault escaping them
  // anyway is rethrown out of the io_context's run(), never dropped.
  const auto rethrow = [](const std::exception_ptr& e) {
    if (e) std::rethrow_exception(e);
  };
  asio::co_spawn(self->executor_, read_loop(self), rethrow);
  asio::co_spawn(self->executor_, write_loop(self), rethrow);
}

void session::close(std::error_code why, std::string message) noexcept {
  if (!open_) return;
  open_ = false;
  reason_ = why;
  message_ = std::move(message);
  try {
    conn_.close();
  } catch (...) {  // closing a socket that is already gone: nothing left to do
  }
  writer_wake_.notify();
  read_gate_.notify();
  on_close();
}

void session::throw_closed(const char* who) const {
  std::string what = std::string{who} + ": not connected";
  if (!message_.empty()) what += " (" + message_ + ")";
  throw_error(errc::connection_closed, what);
}

asio::awaitable<void> session::write_loop(std::shared_ptr<session> self) {
  auto& s = *self;
  try {
    while (s.open_) {
      if (s.out_.empty()) {
        co_await s.writer_wake_.wait();
        continue;
      }
      // Everything queued since the last write goes out in this one.
      s.writing_.swap(s.out_);
      co_await s.conn_.write(asio::buffer(s.writing_));
      s.writing_.clear();
      if (s.writing_.capacity() > keep_buffer) std::string{}.swap(s.writing_);
    }
  } catch (const std::system_error& e) {
    s.close(e.code(), std::string{"redis: write failed: "} + e.what());
  } catch (const std::exception& e) {
    s.close(errc::connection_closed, std::string{"redis: write failed: "} + e.what());
  }
}

asio::awaitable<void> session::read_loop(std::shared_ptr<session> self) {
  auto& s = *self;
  std::error_code why = errc::connection_closed;
  std::string message = "redis: the server closed the connection";
  try {
    coronet::detail::read_buffer buf;  // framed<>'s: grows as bytes arrive, compacts
    const std::size_t ceiling = std::max(s.codec_.max_buffered(), initial_read_buffer);
    while (s.open_) {
      // Every complete reply buffered, before reading again.
      while (!buf.empty() && s.open_) {
        auto r = s.codec_.decode(buf.data());
        if (r.status == decode_status::ready) {
          buf.consume(r.consumed);
          s.on_reply(std::move(r.frame));
          continue;
        }
        if (r.status == decode_status::fail) {
          s.close(r.error, "redis: " + r.error.message() + " in a reply");
          co_return;
        }
        break;  // more: read
      }
      if (!s.open_) co_return;
      buf.shrink(keep_buffer);
      if (buf.size() >= ceiling) {  // the decoder fails first; this is the backstop
        s.close(errc::frame_too_large, "redis: a reply over limits.max_reply");
        co_return;
      }
      while (s.reading_paused() && s.open_)
        co_await s.read_gate_.wait();
      if (!s.open_) co_return;
      const auto n = co_await s.conn_.read_some(buf.prepare(0, initial_read_buffer, ceiling));
      if (n == 0) break;  // EOF
      buf.commit(n);
    }
  } catch (const std::system_error& e) {
    why = e.code();
    message = std::string{"redis: connection lost: "} + e.what();
  } catch (const std::exception& e) {
    message = std::string{"redis: connection lost: "} + e.what();
  }
  s.close(why, std::move(message));
}

}  // namespace coronet::redis::detail
