#include "opening.hpp"

#include "coronet/core/errc.hpp"
#include "coronet/detail/tls_io.hpp"
#include "coronet/proxy/proxy_protocol.hpp"

#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <exception>
#include <tuple>
#include <utility>

#include <sys/socket.h>

namespace coronet::detail {

using asio::experimental::as_tuple;

opening_deadline::opening_deadline(connection_state& s, std::chrono::milliseconds timeout)
    : timer_(s.socket.get_executor(), timeout) {
  timer_.async_wait([&s, shared = phase_](std::error_code ec) {
    if (ec || *shared != phase::running) return;
    *shared = phase::expired;
    s.close_reason = make_error_code(errc::timed_out);
    std::error_code ignored;
    s.socket.close(ignored);
  });
}

asio::awaitable<opening_result> open_tls(connection_state& s, tls_context& context,
                                         std::chrono::milliseconds timeout) {
  std::error_code ec;
  std::string why;
  try {
    std::error_code ignored;
    s.socket.non_blocking(true, ignored);  // the session reads and writes it directly
    s.tls = context.make_session(s.socket.native_handle(), {});
  } catch (const std::exception& e) {
    ec = make_error_code(errc::handshake_failed);
    why = e.what();
  }
  if (!ec) {
    opening_deadline deadline{s, timeout};
    std::tie(ec) = co_await async_tls_handshake(s, as_tuple(asio::use_awaitable));
    if (deadline.expired()) {
      ec = make_error_code(errc::timed_out);
      why = "TLS handshake timed out";
    }
    deadline.finish();
    // Only the reason: what() ends with the code's own "TLS handshake failed".
    if (ec && why.empty()) why = s.tls->last_error();
    if (ec && why.empty()) why = ec == errc::handshake_failed ? "no reason given" : ec.message();
  }
  if (!ec) co_return opening_result{};
  s.tls.reset();  // no close_notify for a session that never started
  co_return opening_result{ec == errc::timed_out ? ec : make_error_code(errc::handshake_failed),
                           why};
}

// Reads the PROXY header without taking a byte that follows it: what follows (a TLS
// ClientHello, the first request) stays in the socket for the handler, with no buffer
// to hand over. Each pass peeks at what is there; while the header is incomplete,
// every byte there belongs to it, so those bytes are taken off the socket (else the
// wait below would find them again and complete at once, and a peer that sends half
// a header and pauses would spin the worker until the header timeout). Once the
// parser sees the whole header, exactly its remaining bytes are taken.
asio::awaitable<opening_result> read_proxy_header(connection_state& s,
                                                  const std::vector<address_range>& trusted,
                                                  std::chrono::milliseconds timeout) {
  const auto peer = s.remote;
  // errc::proxy_refused's own text says "PROXY header refused"; a timeout's or the
  // socket's does not.
  auto refuse = [](std::error_code ec, const std::string& why) {
    return opening_result{ec, ec == errc::proxy_refused ? why : "PROXY header refused: " + why};
  };
  if (std::none_of(trusted.begin(), trusted.end(),
                   [&](const auto& r) { return r.contains(peer.address()); })) {
    co_return refuse(make_error_code(errc::proxy_refused), "the peer is not a trusted proxy");
  }
  opening_deadline deadline{s, timeout};
  std::array<char, max_proxy_header_size> buf;
  std::size_t taken = 0;  // bytes of the header already taken off the socket, in buf
  proxy_header header;
  for (;;) {
    const int fd = s.socket.native_handle();
    ssize_t n = -1;
    int error = EBADF;  // closed by the deadline
    if (s.socket.is_open()) {
      do {
        n = ::recv(fd, buf.data() + taken, buf.size() - taken, MSG_PEEK | MSG_DONTWAIT);
      } while (n < 0 && errno == EINTR);
      error = errno;
    }
    if (n > 0) {
      const auto seen = taken + static_cast<std::size_t>(n);
      const auto r = parse_proxy_header({buf.data(), seen}, header);
      if (r.status == proxy_parse_status::fail) {
        co_return refuse(make_error_code(errc::proxy_refused), r.error);
      }
      // Peeked, so all of it is there: one recv takes the header's remaining bytes
      // when it is whole, every byte peeked when it is not.
      const auto take = (r.status == proxy_parse_status::ready ? r.size : seen) - taken;
      if (::recv(fd, buf.data() + taken, take, MSG_DONTWAIT) != static_cast<ssize_t>(take)) {
        co_return refuse(make_error_code(errc::proxy_refused), "the header could not be read");
      }
      taken += take;
      if (r.status == proxy_parse_status::ready) break;
    } else if (n == 0) {
      co_return refuse(make_error_code(errc::proxy_refused), "the peer closed before the header");
    } else if (error != EAGAIN && error != EWOULDBLOCK) {
      co_return refuse(deadline.expired() ? make_error_code(errc::timed_out)
                                          : std::error_code(error, std::system_category()),
                       deadline.expired() ? "no header in time" : "the socket failed");
    }
    // More to come (a header split over segments) or nothing yet.
    auto [ec] =
        co_await s.socket.async_wait(asio::socket_base::wait_read, as_tuple(asio::use_awaitable));
    if (ec) {
      co_return refuse(deadline.expired() ? make_error_code(errc::timed_out) : ec,
                       deadline.expired() ? "no header in time" : ec.message());
    }
  }
  deadline.finish();
  auto info = std::make_unique<proxy_info>();
  info->proxy = peer;
  if (!header.local) s.remote = header.source;
  info->header = std::move(header);
  s.proxy = std::move(info);
  co_return opening_result{};
}

}  // namespace coronet::detail
