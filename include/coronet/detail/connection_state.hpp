// Shared state behind a coronet::connection. Internal: user code sees only
// coronet::connection.
//
// The server keeps every live state of a worker thread in that worker's intrusive
// registry so that stop() can reach connections whose handlers are suspended. All
// members are touched only on the connection's own thread, except `stopping`, which user
// code may poll from anywhere.
#pragma once

#include "coronet/core/errc.hpp"
#include "coronet/detail/counters.hpp"
#include "coronet/detail/direct_io.hpp"
#include "coronet/detail/tls_session.hpp"
#include "coronet/proxy/proxy_protocol.hpp"

#include <asio/cancellation_signal.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <type_traits>

namespace coronet {
class connection;
}

namespace coronet::detail {

class connection_registry;
struct connection_state;

// The state behind a connection, for the library's own layers (framed<> counts its
// frames through it). Defined in connection.hpp.
connection_state* state_of(const connection& c) noexcept;

struct connection_state : std::enable_shared_from_this<connection_state> {
  explicit connection_state(asio::ip::tcp::socket s);  // asks the socket for its peer
  connection_state(asio::ip::tcp::socket s, asio::ip::tcp::endpoint peer);
  connection_state(const connection_state&) = delete;
  connection_state& operator=(const connection_state&) = delete;
  ~connection_state();

  // Records I/O activity; the idle timer compares against it. Called when an operation
  // starts, which is cheap and enough: a read pending for the whole idle period means
  // the peer was silent for that long.
  void touch() noexcept {
    if (idle_timeout.count() != 0) last_activity = std::chrono::steady_clock::now();
  }

  void start_idle_timer(std::chrono::steady_clock::duration timeout);

  // Graceful stop: the peer's pending and future reads drain what is already buffered
  // and then end as at EOF (shutdown(SHUT_RD)); writes still work.
  void begin_stop() noexcept;

  // Forced stop: aborts every pending operation and cancels the handler's coroutine.
  void force_close() noexcept;

  // The end of a conversation: over TLS, one attempt to send close_notify (never a wait
  // for the peer's); then the socket is closed.
  void close_gracefully() noexcept;

  // Counting, on the connection's thread; the server's worker counters only for a
  // server connection. Called from every read and write completion, so kept to adds.
  CORONET_ALWAYS_INLINE void count_read(std::error_code ec, std::size_t n) noexcept {
    bytes_read += n;
    counters->bytes_read.add(n);
    if (ec) [[unlikely]]
      note_read_error(ec);
  }
  // `through_loop`: the write completed through the event loop (every asynchronous one
  // does), which direct_io counts as a yield; a direct write (write_now) did not.
  CORONET_ALWAYS_INLINE void count_write(std::size_t n, bool through_loop = true) noexcept {
    bytes_written += n;
    counters->bytes_written.add(n);
    if (through_loop) direct_io.yielded();
  }
  // `ends_input`: the error ended the stream's input (framed<>), which makes it the
  // close cause; a JSON message that does not parse leaves the channel usable.
  void count_decode_error(decode_error e, bool ends_input) noexcept {
    if (ends_input) seen |= saw_bad_input;
    counters->count_decode_error(e);
  }
  void note_read_error(std::error_code ec) noexcept;

  asio::ip::tcp::socket socket;
  std::uint64_t id;
  asio::ip::tcp::endpoint remote;
  std::atomic<bool> stopping{false};
  std::error_code close_reason;
  asio::cancellation_signal cancel;
  // Set for a TLS connection (before its handler runs); null for plain TCP.
  std::unique_ptr<tls_session> tls;
  // Set when a PROXY header was accepted (`remote` is then the header's client).
  std::unique_ptr<proxy_info> proxy;

  // What the server counts: its worker's counters (unowned_counters() for client
  // connections), this
  // connection's own byte counts, and what was seen on the way that decides its
  // close_cause (a bit set of the `saw_` flags; `refused` for an opening refused).
  worker_counters* counters = &unowned_counters();
  std::uint64_t bytes_read = 0;
  std::uint64_t bytes_written = 0;
  enum : std::uint8_t { saw_eof = 1, saw_reset = 2, saw_bad_input = 4, saw_force_close = 8 };
  std::uint8_t seen = 0;
  direct_io_policy direct_io;  // whether a read or write first tries the socket directly
  std::optional<close_cause> refused;
  std::exception_ptr opening_error;  // why it was refused, kept only when on_close is set
  std::chrono::steady_clock::time_point opened_at{};  // set only when on_close is

  std::chrono::steady_clock::duration idle_timeout{0};
  std::chrono::steady_clock::time_point last_activity{};
  std::optional<asio::steady_timer> idle_timer;

  // Intrusive links of the owning registry (null for client connections).
  connection_registry* registry = nullptr;
  connection_state* prev = nullptr;
  connection_state* next = nullptr;

 private:
  void arm_idle_timer(std::chrono::steady_clock::time_point deadline);
};

// The connections of one worker thread; accessed only on that thread. The server removes
// a state when its handler finishes (on the worker); connection_state's destructor
// removes it otherwise (a handler destroyed unfinished with its io_context), so a state
// never outlives its registry entry.
class connection_registry {
 public:
  void add(connection_state* s) noexcept;
  void remove(connection_state* s) noexcept;

  template <typename F>
  void for_each(F f) {
    for (auto* s = head_; s != nullptr;) {
      auto* next = s->next;  // f may not remove s, but be safe against it anyway
      f(*s);
      s = next;
    }
  }

  std::size_t size() const noexcept { return size_; }

  // Called (on the registry's thread) after a state was removed.
  std::function<void()> on_remove;

 private:
  connection_state* head_ = nullptr;
  std::size_t size_ = 0;
};

// The state behind a stream when it is a coronet::connection (for counting); null for
// any other stream type.
template <typename Stream>
connection_state* counted_state_of(const Stream& stream) noexcept {
  if constexpr (std::is_same_v<Stream, connection>)
    return state_of(stream);
  else
    return nullptr;
}

// Counts a decode error of `stream`'s input when the stream is a server connection (see
// connection_state::count_decode_error); nothing for any other stream.
template <typename Stream>
void count_decode_error_of(const Stream& stream, decode_error e, bool ends_input) noexcept {
  if (auto* s = counted_state_of(stream)) s->count_decode_error(e, ends_input);
}

inline decode_error decode_error_of(std::error_code ec) noexcept {
  if (ec == errc::frame_too_large) return decode_error::too_large;
  if (ec == errc::truncated_frame) return decode_error::truncated;
  return decode_error::malformed;
}

}  // namespace coronet::detail
