/// @file
/// @code{.unparsed}
/// coronet::resp_client_codec: the Redis protocol (RESP2), client side. Decodes replies
/// into owning resp::value trees (resp/reply_decoder.hpp, with its limits as security
/// settings) and encodes commands: the encoder of resp_codec, plus a command given as
/// owned strings, plus any resp::value (a test server answering with one).
///
///   coronet::framed<coronet::resp_client_codec> redis{co_await coronet::connect(host, 6379)};
///   redis.write(coronet::resp::command{"SET", "k", "v"});
///   auto reply = co_await redis.read();        // a resp::value: `OK`
///
/// coronet::redis::client (coronet/redis.hpp) is the full client built on it: pipelined
/// commands from many coroutines, timeouts, pub/sub, reconnect.
/// @endcode
#pragma once

#include "coronet/resp/encoder.hpp"
#include "coronet/resp/reply.hpp"
#include "coronet/resp/reply_decoder.hpp"
#include "coronet/resp/value.hpp"

#include <span>
#include <string>
#include <vector>

namespace coronet {

/// Replies in, commands (and, for a test server, replies) out: the reply decoder and the
/// encoder of resp/, joined into one coronet::codec.
class resp_client_codec : public resp::reply_decoder, public resp::encoder {
 public:
  using frame_type = resp::value;  ///< One whole reply, owning its bytes.

  /// With the default reply_limits.
  resp_client_codec() = default;
  /// With the given reply limits.
  explicit resp_client_codec(resp::reply_limits limits) : reply_decoder(limits) {}

  using encoder::encode;
  using encoder::encode_header;
  using encoder::encode_trailer;
  using reply_decoder::decode;

  /// A command from owned arguments: an array of bulk strings.
  void encode(std::span<const std::string> args, std::string& out) const {
    encode(resp::array_header{args.size()}, out);
    for (const auto& a : args)
      encode(std::string_view{a}, out);
  }
  /// The same, from a std::vector.
  void encode(const std::vector<std::string>& args, std::string& out) const {
    encode(std::span<const std::string>{args}, out);
  }

  /// Any reply; kind::null as the null bulk string `$-1`. Throws
  /// std::system_error(errc::invalid_frame) for a simple string or error holding CR or LF.
  void encode(const resp::value& v, std::string& out) const {
    switch (v.kind) {
      case resp::kind::simple_string:
        encode(resp::simple{v.text}, out);
        return;
      case resp::kind::error:
        encode(resp::error{v.text}, out);
        return;
      case resp::kind::integer:
        encode(resp::integer{v.integer}, out);
        return;
      case resp::kind::bulk_string:
        encode(std::string_view{v.text}, out);
        return;
      case resp::kind::null:
        encode(resp::null, out);
        return;
      case resp::kind::array:
        encode(resp::array_header{v.elements.size()}, out);
        for (const auto& e : v.elements)
          encode(e, out);
        return;
    }
  }
};

}  // namespace coronet
