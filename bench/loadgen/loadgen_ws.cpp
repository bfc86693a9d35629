// coronet-loadgen --mode ws: the WebSocket ping-pong. Each connection upgrades with
// GET / (RFC 6455's sample key, so the server's Sec-WebSocket-Accept is checked against
// the RFC's own answer), then sends one binary message of --size bytes, masked as a
// browser masks it, waits for its echo, checks the echo byte for byte, and sends again.
// A message is one echo; latency is its round trip.
//
// Written on plain Asio, not on coronet::websocket, for the reason the rest of the load
// generator is: the client must share no code with the server under test.
#include "loadgen.hpp"

namespace loadgen {
namespace {

// RFC 6455 section 1.3's sample key and the accept value it must produce.
constexpr std::string_view sample_key = "dGhlIHNhbXBsZSBub25jZQ==";
constexpr std::string_view sample_accept = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

// One masked binary frame carrying `payload`, with a mask key of this connection's own.
std::string masked_frame(const std::string& payload, std::uint32_t key_bits) {
  std::string f;
  f.push_back(static_cast<char>(0x82));  // FIN, binary
  const std::uint64_t n = payload.size();
  if (n < 126) {
    f.push_back(static_cast<char>(0x80 | n));
  } else if (n <= 0xFFFF) {
    f.push_back(static_cast<char>(0x80 | 126));
    f.push_back(static_cast<char>(n >> 8));
    f.push_back(static_cast<char>(n & 0xFF));
  } else {
    f.push_back(static_cast<char>(0x80 | 127));
    for (int shift = 56; shift >= 0; shift -= 8)
      f.push_back(static_cast<char>((n >> shift) & 0xFF));
  }
  std::array<char, 4> key{};
  std::memcpy(key.data(), &key_bits, 4);
  f.append(key.data(), 4);
  for (std::size_t i = 0; i < payload.size(); ++i)
    f.push_back(static_cast<char>(payload[i] ^ key[i % 4]));
  return f;
}

// The read side: bytes in, one unmasked server frame out at a time.
struct frame_reader {
  std::vector<char> in = std::vector<char>(64 * 1024);
  std::size_t begin = 0, end = 0;

  // The payload of the frame at `begin` if it is complete (and consumes it).
  bool take(std::string_view& payload) {
    const std::size_t avail = end - begin;
    if (avail < 2) return false;
    const auto* p = reinterpret_cast<const unsigned char*>(in.data() + begin);
    if ((p[1] & 0x80) != 0) throw std::runtime_error("websocket: the server masked a frame");
    std::uint64_t n = p[1] & 0x7F;
    std::size_t header = 2;
    if (n >= 126) {
      const std::size_t ext = n == 126 ? 2 : 8;
      if (avail < 2 + ext) return false;
      n = 0;
      for (std::size_t i = 0; i < ext; ++i)
        n = (n << 8) | p[2 + i];
      header += ext;
    }
    if (n > (std::uint64_t{1} << 31)) throw std::runtime_error("websocket: echo over 2 GiB");
    if (header + n > in.size()) in.resize(header + n);
    if (avail < header + n) return false;
    if ((p[0] & 0x0F) != 0x2 || (p[0] & 0x80) == 0)
      throw std::runtime_error("websocket: the echo was not one binary frame");
    payload = {in.data() + begin + header, static_cast<std::size_t>(n)};
    begin += header + n;
    return true;
  }

  template <typename Stream>
  asio::awaitable<std::string_view> next(Stream* sock) {
    for (;;) {
      std::string_view payload;
      if (take(payload)) co_return payload;
      if (begin == end) begin = end = 0;
      if (begin > 0) {
        std::memmove(in.data(), in.data() + begin, end - begin);
        end -= begin;
        begin = 0;
      }
      auto [ec, n] = co_await sock->async_read_some(asio::buffer(in.data() + end, in.size() - end),
                                                    as_tuple(asio::use_awaitable));
      if (ec) throw std::system_error(ec, "read");
      end += n;
    }
  }
};

// The upgrade: request, then the head of the answer (checked), leaving what follows it
// in `reader`.
template <typename Stream>
asio::awaitable<void> upgrade(Stream* sock, const std::string& host, frame_reader& reader) {
  std::string request = "GET / HTTP/1.1\r\nHost: " + host +
                        "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        "Sec-WebSocket-Key: " +
                        std::string{sample_key} + "\r\nSec-WebSocket-Version: 13\r\n\r\n";
  auto [wec, wn] =
      co_await asio::async_write(*sock, asio::buffer(request), as_tuple(asio::use_awaitable));
  if (wec) throw std::system_error(wec, "write");
  for (;;) {
    const std::string_view got{reader.in.data(), reader.end};
    const auto head_end = got.find("\r\n\r\n");
    if (head_end != std::string_view::npos) {
      const auto head = got.substr(0, head_end);
      if (head.substr(0, 13) != "HTTP/1.1 101 ")
        throw std::runtime_error("websocket: upgrade refused: " +
                                 std::string{head.substr(0, head.find('\r'))});
      if (head.find(sample_accept) == std::string_view::npos)
        throw std::runtime_error("websocket: wrong Sec-WebSocket-Accept");
      reader.begin = head_end + 4;
      co_return;
    }
    if (reader.end == reader.in.size()) throw std::runtime_error("websocket: answer head too long");
    auto [ec, n] = co_await sock->async_read_some(
        asio::buffer(reader.in.data() + reader.end, reader.in.size() - reader.end),
        as_tuple(asio::use_awaitable));
    if (ec) throw std::system_error(ec, "read (upgrade)");
    reader.end += n;
  }
}

}  // namespace

template <typename Stream>
asio::awaitable<void> websocket_pingpong(Stream* sock, run_state* st, std::uint64_t index,
                                         conn_stats* out) {
  frame_reader reader;
  co_await upgrade(sock, st->cfg.host, reader);
  std::string payload(st->cfg.size, 'x');
  for (std::size_t i = 0; i < payload.size(); ++i)
    payload[i] = static_cast<char>('a' + (i + index) % 26);
  const std::string frame =
      masked_frame(payload, static_cast<std::uint32_t>(0x9E3779B9u * (index + 1)));
  while (!st->stop.load(std::memory_order_relaxed)) {
    const auto sent = clock_type::now();
    auto [ec, n] =
        co_await asio::async_write(*sock, asio::buffer(frame), as_tuple(asio::use_awaitable));
    if (ec) {
      if (st->stop.load()) break;
      throw std::system_error(ec, "write");
    }
    const auto echo = co_await reader.next(sock);
    if (echo != payload) ++out->mismatches;
    record(*st, *out, clock_type::now(), sent, payload.size());
  }
}

template asio::awaitable<void> websocket_pingpong(tcp::socket*, run_state*, std::uint64_t,
                                                  conn_stats*);
template asio::awaitable<void> websocket_pingpong(tls_stream*, run_state*, std::uint64_t,
                                                  conn_stats*);

}  // namespace loadgen
