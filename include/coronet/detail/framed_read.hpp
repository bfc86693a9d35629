// framed_state::read(), out of the class as Asio keeps its definitions apart from their
// declarations (asio/impl/): the loop that decodes what is buffered, reads more when
// nothing whole is there, and keeps the connection's counters and limits. Included at
// the end of framed_state.hpp, never on its own.
#pragma once

#include "coronet/detail/framed_state.hpp"

namespace coronet::detail {

template <decoder Codec, typename Stream>
asio::awaitable<std::optional<typename framed_state<Codec, Stream>::frame_type>>
framed_state<Codec, Stream>::read(std::shared_ptr<framed_state> self) {
  using asio::experimental::as_tuple;
  auto& s = *self;
  if (s.consume_next != 0) {
    s.rbuf.consume(s.consume_next);
    s.consume_next = 0;
  }
  for (;;) {
    std::size_t needed = 0;
    if (!s.rbuf.empty()) {
      auto r = s.codec.decode(s.rbuf.data());
      if (r.status == decode_status::ready) {
        s.consume_next = r.consumed;
        s.frame_started.reset();
        s.counters->frames_read.add();
        co_return std::optional<frame_type>{std::move(r.frame)};
      }
      if (r.status == decode_status::fail) s.fail_decode(r.error);
      needed = r.needed;
      if (needed > s.max_read_buffer()) s.fail_decode(errc::frame_too_large);
    }
    if (s.eof) {
      if (s.rbuf.empty()) {
        // As framed::read() promises: what was written is sent before EOF is reported.
        // (It usually went out before the read that met EOF; not so for the replies to
        // a last frame that decode_eof() handed out after it.)
        co_await flush(self);
        co_return std::nullopt;
      }
      if constexpr (has_decode_eof<Codec>) {
        auto r = s.codec.decode_eof(s.rbuf.data());
        if (r.status == decode_status::ready) {
          s.consume_next = r.consumed;
          s.counters->frames_read.add();
          co_return std::optional<frame_type>{std::move(r.frame)};
        }
        if (r.status == decode_status::fail) s.fail_decode(r.error);
      }
      s.fail_decode(errc::truncated_frame);
    }

    // About to wait for the peer: first send what we owe it. The write loop is inline
    // rather than a co_await of write_loop(): each coroutine layer is a frame
    // allocated per message (docs/benchmarks.md).
    for (;;) {
      if (!s.pending.empty() && !s.writing) {
        auto writer = s.writing_scope();
        while (s.next_write()) {
          // While the peer is slow to answer, offered to the socket directly first
          // (direct_io.hpp); the rest, usually nothing, asynchronously.
          auto rest = asio::buffer(s.inflight);
          if (s.conn != nullptr) rest += write_now(*s.conn, rest);
          std::error_code ec;
          if (rest.size() != 0)
            std::tie(ec, std::ignore) =
                co_await async_write_all(s.stream, rest, as_tuple(asio::use_awaitable));
          s.finish_write(s.inflight.size(), ec);
        }
      }
      if (s.write_error) throw_error(s.write_error, "write");
      // Security: the outbox's writer owns the stream, so what write() queued (replies
      // to what we read: pongs, error answers) cannot go out now. Past the high-water
      // mark, stop reading until the writer drains it: a peer that makes us answer
      // and does not read the answers is slowed to the pace at which it reads them,
      // instead of growing the output buffer without bound.
      if (!s.writing || s.dead ||
          s.queued.load(std::memory_order_relaxed) < s.options.high_water_mark)
        break;
      co_await s.wake.wait();
    }
    if (s.rbuf.empty()) {
      s.rbuf.shrink(std::max(s.options.read_buffer_size, s.options.keep_read_buffer));
      // The frame handed out last is dead by now: what the codec grew for it goes too.
      if constexpr (has_release_memory<Codec>) s.codec.release_memory();
    }

    // A connection that has never sent anything (or gave back a large buffer) holds
    // no read buffer while it waits: idle connections then cost no buffer memory.
    // Readiness first, memory after; the wait costs one epoll_ctl and happens once
    // per connection, not per message, because the buffer is kept afterwards.
    if constexpr (waits_for_readiness<Stream>) {
      if (s.rbuf.capacity() == 0) {
        auto [ec] = co_await s.stream.async_wait(asio::socket_base::wait_read,
                                                 as_tuple(asio::use_awaitable));
        if (ec) throw_error(s.close_reason ? s.close_reason : ec, "read");
      }
    }

    auto space = s.rbuf.prepare(needed, s.options.read_buffer_size, s.max_read_buffer());
    ++s.read_count;
    // A busy peer's next request is usually there already: take it without a trip
    // through the event loop (direct_io.hpp). Counted by read_now.
    if (s.conn != nullptr) {
      const std::size_t got = read_now(*s.conn, space);
      if (got != 0) {
        s.rbuf.commit(got);
        continue;
      }
    }
    std::error_code ec;
    std::size_t n = 0;
    if (s.options.read_timeout.count() > 0 && !s.rbuf.empty()) {
      std::tie(ec, n) = co_await s.read_with_deadline(space);
    } else {
      // Uncounted, then counted here: no handler layer per read (connection_io.hpp).
      std::tie(ec, n) =
          co_await async_read_some_uncounted(s.stream, space, as_tuple(asio::use_awaitable));
      if (s.conn != nullptr) s.conn->count_read(ec, n);
    }
    if (ec == asio::error::eof) {
      s.eof = true;
      continue;
    }
    if (ec) throw_error(s.close_reason ? s.close_reason : ec, "read");
    s.rbuf.commit(n);
  }
}

}  // namespace coronet::detail
