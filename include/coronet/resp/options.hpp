/// @file
/// @code{.unparsed}
/// coronet::resp_options: the limits of resp_codec's request decoder (security settings).
/// @endcode
#pragma once

#include <cstddef>

namespace coronet {

/// The limits of resp_codec's request decoder: security settings against its clients.
struct resp_options {
  /// Largest bulk string (one argument) accepted. Redis allows 512 MiB
  /// (proto-max-bulk-len), which lets every connection pin half a gigabyte before its
  /// first command runs; 64 MiB still holds any sane value.
  std::size_t max_bulk = 64 * 1024 * 1024;
  /// Most arguments in one multibulk request; Redis's historical limit. The argument
  /// table grows with the arguments actually received, not with the announced count,
  /// so `*1048576\r\n` alone costs nothing.
  std::size_t max_arguments = 1024 * 1024;
  /// Longest inline command line, CRLF not counted: Redis's PROTO_INLINE_MAX_SIZE.
  std::size_t max_inline = 64 * 1024;
  /// Largest whole request. A request is a view into the read buffer, so all of it must
  /// fit there: this is the read buffer's ceiling (max_buffered()). Twice max_bulk, the
  /// ratio of Redis's client-query-buffer-limit to its proto-max-bulk-len, so `SET k
  /// <max_bulk bytes>` fits with room to spare.
  std::size_t max_request = 128 * 1024 * 1024;
};

}  // namespace coronet
