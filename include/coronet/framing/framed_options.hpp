/// @file
/// @code{.unparsed}
/// Options of coronet::framed<> (see framed.hpp).
/// @endcode
#pragma once

#include <chrono>
#include <cstddef>

namespace coronet {

/// Buffer sizes, limits and timeouts of a framed<> stream; the defaults suit most servers.
struct framed_options {
  /// First size of the read buffer; it grows for larger frames up to the codec's
  /// max_buffered() and shrinks back once such a frame is consumed. 16 KiB matches what
  /// a hand-written server reads per call.
  std::size_t read_buffer_size = std::size_t{16} * 1024;
  /// A read buffer that grew for a large frame is kept while it is at most this size
  /// (so a run of frames a little over read_buffer_size, say 16 KiB WebSocket messages
  /// with their header, reuses one buffer instead of allocating it and waiting for
  /// readiness again per message) and given back once empty when larger (so one big
  /// message does not pin memory). Memory: a connection that once received such a frame
  /// then holds up to this much while idle; one that never sent anything holds none.
  std::size_t keep_read_buffer = std::size_t{32} * 1024;
  /// Security: the read buffer's ceiling for codecs that do not state one.
  std::size_t max_read_buffer = std::size_t{1024} * 1024;
  /// Security: above this many queued output bytes send() waits and try_send() refuses,
  /// so a peer that does not read cannot make the server buffer without bound.
  std::size_t high_water_mark = std::size_t{1024} * 1024;
  /// Security (slowloris): once a frame has started to arrive, the rest must come within
  /// this long, else read() throws coronet::errc::timed_out. 0: no limit. Silence
  /// between frames is the server's idle_timeout's business.
  std::chrono::milliseconds read_timeout{0};
  /// Frames at least this large are sent by send() straight from the caller's memory
  /// (a gathered write of header, payload, trailer) when the codec supports it.
  std::size_t gather_threshold = std::size_t{64} * 1024;
};

}  // namespace coronet
