/// @file
/// @code{.unparsed}
/// coronet::resp_codec: the Redis protocol (RESP2), server side. Decodes requests, both
/// multibulk arrays (`*2\r\n$3\r\nGET\r\n$1\r\nk\r\n`, what every client library and
/// redis-cli send) and inline commands (`PING\r\n`, what telnet users and
/// `redis-benchmark -t ping_inline` send); encodes every RESP2 reply type, and commands
/// (arrays of bulk strings) for clients.
///
///   coronet::framed<coronet::resp_codec, coronet::connection> f{std::move(conn)};
///   while (auto req = co_await f.read()) {             // a coronet::resp::request
///     if (req->empty()) continue;                      // a blank line: no reply
///     if (coronet::resp::iequals((*req)[0], "PING")) f.write(coronet::resp::simple{"PONG"});
///     else f.write(coronet::resp::error{"ERR unknown command"});
///   }
///
/// Why this lives in the library rather than beside the kv example: it is written only
/// against the public coronet::codec concept (which it thereby proves sufficient for a
/// real third-party protocol), it is one optional header that costs nothing unless
/// included, and anyone can build a Redis-protocol server (or a client that sends
/// commands) with it, which the redis-cli / redis-benchmark ecosystem makes useful well
/// beyond the example. It is not part of the umbrella coronet.hpp.
///
/// Frames: a resp::request is a view of the arguments, zero-copy into the read buffer and
/// valid until the next read(), like every coronet frame. The argument table lives in
/// the codec and is reused, so a steady stream of requests (up to 1024 arguments each;
/// a larger table is given back after its request) allocates nothing. A request
/// may be empty (a blank inline line, `*0` or `*-1`; Redis ignores those): skip it.
///
/// Inline commands are split as Redis splits them (sdssplitargs): arguments are separated
/// by whitespace, and "double quotes" (with \n \r \t \b \a \xHH and \<any> escapes) or
/// 'single quotes' (only \' escaped) group an argument; an unterminated quote, or a closing
/// quote not followed by whitespace, is `unbalanced quotes in request` (bad_message). A
/// line without quotes is split in place (views into the read buffer); only a line with
/// quotes is unescaped, into a buffer the codec owns (valid, like any frame, until the
/// next decode). Multibulk input is stricter than Redis: the CRLF after each bulk payload
/// is checked, not skipped.
///
/// Security: the limits below bound what one peer can make the server buffer or
/// allocate, and each is checked as soon as the bytes that break it arrive, never after
/// buffering more: `$1000000000\r\n` fails on its own header, an inline line fails at
/// max_inline bytes without a newline, a count over max_arguments fails on `*N\r\n`.
/// Over a limit: coronet::errc::frame_too_large. Malformed input (a non-digit or
/// negative length other than `*-1`, a missing CRLF, no `$` where a bulk string must
/// start): coronet::errc::bad_message. Either way the stream is over; error_detail()
/// names the problem in Redis's words, for a `-ERR Protocol error: ...` reply.
///
/// Not here: decoding replies (a client's side of RESP) and RESP3.
/// @endcode
#pragma once

#include "coronet/resp/encoder.hpp"
#include "coronet/resp/options.hpp"
#include "coronet/resp/reply.hpp"
#include "coronet/resp/request.hpp"
#include "coronet/resp/request_decoder.hpp"

namespace coronet {

/// Requests in, replies (and commands) out: the request decoder and the encoder of
/// resp/, joined into one coronet::codec.
class resp_codec : public resp::request_decoder, public resp::encoder {
 public:
  using frame_type = resp::request;  ///< One request: views of its arguments.

  /// With the default resp_options.
  resp_codec() = default;
  /// With the given request limits.
  explicit resp_codec(resp_options options) : request_decoder(options) {}

  using encoder::encode;
  using encoder::encode_header;
  using encoder::encode_trailer;
  using request_decoder::decode;
};

}  // namespace coronet
