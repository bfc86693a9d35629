#include "session.hpp"

#include "coronet/core/connect.hpp"
#include "coronet/core/timeout.hpp"
#include "coronet/detail/read_buffer.hpp"

#include <asio/co_spawn.hpp>

#include <algorithm>
#include <array>
#include <cctype>
#include <exception>
#include <memory>
#include <stdexcept>
#include <string_view>
#include <utility>

namespace coronet::redis::detail {
namespace {

// Buffers above this are given back once empty, so one huge reply does not pin its
// memory for the connection's life.
constexpr std::size_t keep_buffer = std::size_t{64} * 1024;
constexpr std::size_t initial_read_buffer = std::size_t{16} * 1024;

// A setup command answered with an error: the credentials (a refused AUTH, or NOAUTH
// from a server that wants a password) or the command itself. Redis's text never holds
// the password.
[[noreturn]] void refused(const char* command, const std::string& reply, const client_options& o) {
  const bool noauth = reply.starts_with("NOAUTH");
  const bool auth = noauth || reply.starts_with("WRONGPASS") || std::string_view{command} == "AUTH";
  std::string what = std::string{"redis: "} + command + " refused: " + reply;
  if (noauth && o.password.empty()) what += " (no password was given)";
  throw_error(auth ? errc::redis_auth_failed : errc::redis_error, what);
}

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
      if (r.frame.is_error()) refused(names[answered], r.frame.text, o);
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
  if (!options.username.empty() && options.password.empty())
    throw_error(errc::redis_auth_failed,
                "redis: client_options::username '" + options.username + "' without a password");
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

namespace coronet::redis {
namespace {

[[noreturn]] void bad_url(const std::string& why) {
  throw std::invalid_argument("redis::parse_url: " + why);
}

int hex_digit(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decoded(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    const int hi = i + 2 < s.size() ? hex_digit(s[i + 1]) : -1;
    const int lo = hi >= 0 ? hex_digit(s[i + 2]) : -1;
    if (lo < 0) bad_url("a '%' not followed by two hex digits in the user or password");
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

}  // namespace

url parse_url(std::string_view text) {
  constexpr std::string_view form = "expected redis://[user[:password]@]host[:port]";
  const auto sep = text.find("://");
  if (sep == std::string_view::npos) bad_url(std::string{form});
  std::string scheme{text.substr(0, sep)};
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (scheme == "rediss")
    bad_url("rediss:// (TLS) is not supported: coronet::redis speaks plain TCP; use redis://");
  if (scheme != "redis") {
    const bool plain = std::all_of(scheme.begin(), scheme.end(), [](unsigned char c) {
      return std::isalnum(c) != 0 || c == '+' || c == '-' || c == '.';
    });
    bad_url(std::string{form} + (plain ? ", not " + scheme + "://" : std::string{}));
  }
  const auto rest = text.substr(sep + 3);
  if (std::any_of(rest.begin(), rest.end(), [](unsigned char c) { return c <= ' ' || c == 0x7f; }))
    bad_url("a space or control character in the URL (percent-encode it: %20)");
  const auto end = rest.find_first_of("/?#");
  const auto authority = rest.substr(0, end);
  const auto tail = end == std::string_view::npos ? std::string_view{} : rest.substr(end);
  if (tail.find('?') != std::string_view::npos) bad_url("a query (?...) is not supported");
  if (tail.find('#') != std::string_view::npos) bad_url("a fragment (#...) is not supported");
  if (!tail.empty() && tail != "/" && tail != "/0")
    bad_url("a path other than /0: coronet::redis uses database 0 (it sends no SELECT)");

  url out;
  auto hostport = authority;
  if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
    const auto userinfo = authority.substr(0, at);
    hostport = authority.substr(at + 1);
    const auto colon = userinfo.find(':');
    out.username = percent_decoded(userinfo.substr(0, colon));
    if (colon != std::string_view::npos) out.password = percent_decoded(userinfo.substr(colon + 1));
  }
  std::string_view port;
  bool has_port = false;
  if (!hostport.empty() && hostport.front() == '[') {
    const auto close = hostport.find(']');
    if (close == std::string_view::npos) bad_url("an IPv6 address without its closing ']'");
    out.host = std::string{hostport.substr(1, close - 1)};
    const auto after = hostport.substr(close + 1);
    if (!after.empty() && after.front() != ':') bad_url("expected ':' and a port after ']'");
    has_port = !after.empty();
    if (has_port) port = after.substr(1);
  } else {
    const auto colon = hostport.find(':');
    out.host = std::string{hostport.substr(0, colon)};
    if (colon != std::string_view::npos) {
      has_port = true;
      port = hostport.substr(colon + 1);
      if (port.find(':') != std::string_view::npos)
        bad_url("an IPv6 address needs brackets: redis://[::1]:6379");
    }
  }
  if (out.host.empty()) bad_url("no host (" + std::string{form} + ")");
  if (has_port) {
    const bool digits =
        !port.empty() && port.size() <= 5 &&
        std::all_of(port.begin(), port.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
    const long value = digits ? std::stol(std::string{port}) : 0;
    if (value < 1 || value > 65535) bad_url("the port must be a number from 1 to 65535");
    out.port = static_cast<std::uint16_t>(value);
  }
  return out;
}

}  // namespace coronet::redis
