// coronet-loadgen: what each connection sends and how its replies are checked, for the
// pingpong, request and handshake modes (see loadgen.cpp). The traffic is written once
// for any stream: a TCP socket or asio::ssl over one.
#include "loadgen.hpp"

namespace loadgen {

// The pingpong block: a 4-byte big-endian length of the rest, filler, and a final '\n'.
// Raw echo servers return it as is, a line server sees one line, a length-prefixed
// server one frame. Sizes whose header would contain a '\n' byte are refused.
std::string make_block(std::size_t size) {
  std::string b(size, 'x');
  for (std::size_t i = 4; i < size; ++i)
    b[i] = static_cast<char>('a' + i % 26);
  const auto body = static_cast<std::uint32_t>(size - 4);
  for (int i = 0; i < 4; ++i)
    b[static_cast<std::size_t>(i)] = static_cast<char>(body >> (24 - 8 * i));
  b.back() = '\n';
  return b;
}

// A request payload that differs per sequence number, so that a reply to the wrong
// request cannot pass verification. Never holds '\n'.
void make_payload(std::size_t size, std::uint64_t seq, std::string& out) {
  out.assign(size, 'a');
  char digits[24];
  const int len =
      std::snprintf(digits, sizeof digits, "%llu:", static_cast<unsigned long long>(seq));
  for (std::size_t i = 0; i < size; ++i)
    out[i] =
        i < static_cast<std::size_t>(len) ? digits[i] : static_cast<char>('a' + (seq + i) % 26);
}

void record(run_state& st, conn_stats& out, clock_type::time_point now,
            clock_type::time_point since, std::uint64_t bytes) {
  if (now > st.deadline) return;  // only what completed inside the measured window counts
  ++out.messages;
  out.bytes += bytes;
  out.latency_us.push_back(std::chrono::duration<float, std::micro>(now - since).count());
  st.messages.fetch_add(1, std::memory_order_relaxed);
  st.bytes.fetch_add(bytes, std::memory_order_relaxed);
}

// Whether `block` came back: checks `n` received bytes that continue where the previous
// `received` bytes stopped; counts mismatches.
void verify(const std::string& block, const char* data, std::size_t n, std::uint64_t received,
            conn_stats& out) {
  const std::size_t size = block.size();
  std::size_t at = received % size;
  for (std::size_t done = 0; done < n;) {
    const std::size_t chunk = std::min(n - done, size - at);
    if (std::memcmp(data + done, block.data() + at, chunk) != 0) ++out.mismatches;
    done += chunk;
    at = 0;
  }
}

template <typename Stream>
asio::awaitable<void> pingpong(Stream* sock, run_state* st, conn_stats* out) {
  const std::size_t size = st->cfg.size;
  const std::string block = make_block(size);
  std::vector<char> buf(std::max<std::size_t>(size, 16 * 1024));
  auto [wec, wn] =
      co_await asio::async_write(*sock, asio::buffer(block), as_tuple(asio::use_awaitable));
  if (wec) throw std::system_error(wec, "write");
  std::uint64_t received = 0;
  auto last = clock_type::now();
  while (!st->stop.load(std::memory_order_relaxed)) {
    auto [ec, n] = co_await sock->async_read_some(asio::buffer(buf), as_tuple(asio::use_awaitable));
    if (ec) {
      if (st->stop.load()) break;
      throw std::system_error(ec, "read");
    }
    // Verify: what comes back is the block, continuing where the last read stopped.
    verify(block, buf.data(), n, received, *out);
    // One block is in flight per connection, so a block boundary is crossed once per
    // round trip: the time between two crossings is the round-trip latency.
    const auto before = received / size;
    received += n;
    if (received / size != before) {
      const auto now = clock_type::now();
      record(*st, *out, now, last, size);
      last = now;
    }
    auto [ec2, n2] = co_await asio::async_write(*sock, asio::buffer(buf.data(), n),
                                                as_tuple(asio::use_awaitable));
    if (ec2) {
      if (st->stop.load()) break;
      throw std::system_error(ec2, "write");
    }
  }
}

// Reads bytes into `in` until one reply frame is complete; returns it (a view into `in`,
// valid until the next call) and remembers how much to consume next time.
struct reply_reader {
  std::vector<char> in = std::vector<char>(64 * 1024);
  std::size_t begin = 0, end = 0, consume = 0;

  // Frame length and header size of the reply at `begin`, or 0 when incomplete.
  bool parse(const std::string& framing, std::string_view& frame) {
    const char* p = in.data() + begin;
    const std::size_t avail = end - begin;
    if (framing == "length") {
      if (avail < 4) return false;
      const std::size_t len = (std::size_t{static_cast<unsigned char>(p[0])} << 24) |
                              (std::size_t{static_cast<unsigned char>(p[1])} << 16) |
                              (std::size_t{static_cast<unsigned char>(p[2])} << 8) |
                              std::size_t{static_cast<unsigned char>(p[3])};
      if (len + 4 > in.size()) in.resize(len + 4);
      if (avail < len + 4) return false;
      frame = {p + 4, len};
      consume = len + 4;
      return true;
    }
    const void* nl = std::memchr(p, '\n', avail);
    if (nl == nullptr) {
      if (avail == in.size()) in.resize(in.size() * 2);
      return false;
    }
    const auto len = static_cast<std::size_t>(static_cast<const char*>(nl) - p);
    frame = {p, len};
    consume = len + 1;
    return true;
  }

  template <typename Stream>
  asio::awaitable<std::string_view> next(Stream* sock, const std::string& framing) {
    begin += consume;
    consume = 0;
    if (begin == end) begin = end = 0;
    for (;;) {
      std::string_view frame;
      if (parse(framing, frame)) co_return frame;
      if (begin > 0) {  // make room at the back
        std::memmove(in.data(), in.data() + begin, end - begin);
        end -= begin;
        begin = 0;
        continue;  // parse() may have resized; retry with the moved bytes
      }
      auto [ec, n] = co_await sock->async_read_some(asio::buffer(in.data() + end, in.size() - end),
                                                    as_tuple(asio::use_awaitable));
      if (ec) throw std::system_error(ec, "read");
      end += n;
    }
  }
};

void encode_request(const std::string& framing, const std::string& payload, std::string& out) {
  if (framing == "length") {
    const auto n = static_cast<std::uint32_t>(payload.size());
    for (int i = 0; i < 4; ++i)
      out.push_back(static_cast<char>(n >> (24 - 8 * i)));
    out += payload;
  } else {
    out += payload;
    out.push_back('\n');
  }
}

template <typename Stream>
asio::awaitable<void> requester(Stream* sock, run_state* st, std::uint64_t first_seq,
                                conn_stats* out) {
  const auto& cfg = st->cfg;
  const bool json = cfg.framing == "json";
  std::vector<std::string> expected(cfg.pipeline);
  std::vector<std::uint64_t> ids(cfg.pipeline);
  std::string wire, payload;
  reply_reader reader;
  std::uint64_t seq = first_seq;
  while (!st->stop.load(std::memory_order_relaxed)) {
    wire.clear();
    for (std::size_t i = 0; i < cfg.pipeline; ++i) {
      ids[i] = seq;
      make_payload(cfg.size, seq++, payload);
      if (json) {
        // A chat-like message, as the JSON examples exchange.
        nlohmann::json msg = {
            {"id", ids[i]}, {"type", "say"}, {"room", "bench"}, {"text", payload}};
        expected[i] = msg.dump();
        encode_request("line", expected[i], wire);
      } else {
        expected[i] = payload;
        encode_request(cfg.framing, payload, wire);
      }
    }
    const auto sent = clock_type::now();
    auto [ec, n] =
        co_await asio::async_write(*sock, asio::buffer(wire), as_tuple(asio::use_awaitable));
    if (ec) throw std::system_error(ec, "write");
    for (std::size_t i = 0; i < cfg.pipeline; ++i) {
      auto frame = co_await reader.next(sock, cfg.framing);
      bool ok = frame == expected[i];
      if (!ok && json) {  // a server may reformat JSON: then the id must still match
        auto reply = nlohmann::json::parse(frame, nullptr, false);
        ok = !reply.is_discarded() && reply.is_object() &&
             reply.value("id", ~std::uint64_t{0}) == ids[i];
      }
      if (!ok) ++out->mismatches;
      record(*st, *out, clock_type::now(), sent, frame.size());
    }
  }
}

// The handshake mode's TLS step; nothing over plain TCP.
asio::awaitable<void> handshake(tcp::socket*) {
  co_return;
}

asio::awaitable<void> handshake(tls_stream* s) {
  auto [ec] =
      co_await s->async_handshake(asio::ssl::stream_base::client, as_tuple(asio::use_awaitable));
  if (ec) throw std::system_error(ec, "TLS handshake");
}

// After connecting (and the handshake): one block out, its echo back, checked.
template <typename Stream>
asio::awaitable<void> one_exchange(Stream* s, const std::string& block, std::vector<char>* buf,
                                   conn_stats* out) {
  co_await handshake(s);
  auto [wec, wn] =
      co_await asio::async_write(*s, asio::buffer(block), as_tuple(asio::use_awaitable));
  if (wec) throw std::system_error(wec, "write");
  auto [rec, rn] = co_await asio::async_read(*s, asio::buffer(buf->data(), block.size()),
                                             as_tuple(asio::use_awaitable));
  if (rec) throw std::system_error(rec, "read");
  verify(block, buf->data(), rn, 0, *out);
}

// Connect, (TLS-)handshake, one block and its echo, close; again until the deadline. The
// client closes first, without close_notify (the servers treat a FIN as the end either
// way), so TIME_WAIT stays on the client's side, where loopback reuses it.
asio::awaitable<void> cycles(stream_slot* conn, run_state* st, worker* w, std::uint64_t index,
                             conn_stats* out) {
  const std::string block = make_block(st->cfg.size);
  const tcp::endpoint target = st->endpoints[index % st->endpoints.size()];
  std::vector<char> buf(block.size());
  while (!st->stop.load(std::memory_order_relaxed)) {
    const auto start = clock_type::now();
    conn->reset(w->io, st->ssl, st->cfg);
    auto [ec] = co_await conn->lowest().async_connect(target, as_tuple(asio::use_awaitable));
    if (ec) throw std::system_error(ec, "connect");
    conn->lowest().set_option(tcp::no_delay(true));
    if (conn->tls)
      co_await one_exchange(&*conn->tls, block, &buf, out);
    else
      co_await one_exchange(&*conn->plain, block, &buf, out);
    if (conn->tls && out->tls_agreed.empty()) out->tls_agreed = agreed(*conn->tls);
    conn->close();
    record(*st, *out, clock_type::now(), start, block.size());
  }
}

template <typename Stream>
asio::awaitable<void> traffic(Stream* s, run_state* st, std::uint64_t index, conn_stats* out) {
  if (st->cfg.mode == "pingpong")
    co_await pingpong(s, st, out);
  else if (st->cfg.mode == "ws")
    co_await websocket_pingpong(s, st, index, out);
  else
    co_await requester(s, st, index << 40, out);
}

// Runs one connection's load and lets the thread's watchdog go once all are done.
asio::awaitable<void> run_connection(stream_slot* conn, run_state* st, worker* w,
                                     std::uint64_t index, conn_stats* out) {
  try {
    if (st->cfg.mode == "handshake")
      co_await cycles(conn, st, w, index, out);
    else if (conn->tls) {
      out->tls_agreed = agreed(*conn->tls);
      co_await traffic(&*conn->tls, st, index, out);
    } else
      co_await traffic(&*conn->plain, st, index, out);
  } catch (const std::exception& e) {
    if (!st->stop.load()) out->error = e.what();
  }
  conn->close();
  if (--w->running == 0) w->watchdog.cancel();
}

}  // namespace loadgen
