#include "coronet/websocket/codec.hpp"

#include "coronet/core/errc.hpp"

#include <cstring>
#include <random>

namespace coronet::websocket {
namespace {

using result = decode_result<frame>;

unsigned byte_at(std::span<const char> in, std::size_t i) noexcept {
  return static_cast<unsigned char>(in[i]);
}

// XORs `n` bytes at `p` with the 4-byte `key`, the key's first byte on p[0]. Eight bytes
// at a time: the key repeated twice in a word, laid out in memory as the bytes are.
void apply_mask(char* p, std::size_t n, const std::array<char, 4>& key) noexcept {
  std::uint64_t k = 0;
  std::memcpy(&k, key.data(), 4);
  std::memcpy(reinterpret_cast<char*>(&k) + 4, key.data(), 4);
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t w = 0;
    std::memcpy(&w, p + i, 8);
    w ^= k;
    std::memcpy(p + i, &w, 8);
  }
  for (; i < n; ++i)
    p[i] = static_cast<char>(p[i] ^ key[i % 4]);
}

// Appends `n` payload bytes, unmasked when `masked`.
void append_payload(std::string& out, const char* p, std::size_t n, bool masked,
                    const std::array<char, 4>& key) {
  const std::size_t at = out.size();
  out.append(p, n);
  if (masked) apply_mask(out.data() + at, n, key);
}

// Empties `buf` for the next message and gives back its memory when it grew past
// `keep` for an earlier one and the next does not need it.
void reuse(std::string& buf, std::size_t next, std::size_t keep) {
  buf.clear();
  if (buf.capacity() > keep && next <= keep) std::string{}.swap(buf);
}

// The per-frame masking key. RFC 6455 10.3 asks for keys a script in the page cannot
// predict; a Mersenne Twister seeded from the system's entropy per thread serves a
// native client, and outboxes encode on any thread.
std::array<char, 4> random_key() {
  thread_local std::mt19937 generator{std::random_device{}()};
  const std::uint32_t v = generator();
  std::array<char, 4> key{};
  std::memcpy(key.data(), &v, 4);
  return key;
}

bool is_control(opcode op) noexcept {
  return (static_cast<unsigned>(op) & 0x8u) != 0;
}

}  // namespace

result codec::fail(close_code c) noexcept {
  failed_ = true;
  return result::fail(make_error_code(c));
}

result codec::decode(std::span<const char> in) {
  if (failed_) return result::fail(make_error_code(close_code::protocol_error));
  if (in.size() < 2) return result::more(2);
  const unsigned b0 = byte_at(in, 0);
  const unsigned b1 = byte_at(in, 1);
  const bool fin = (b0 & 0x80u) != 0;
  // No extension is ever negotiated, so every reserved bit must be 0.
  if ((b0 & 0x70u) != 0) return fail(close_code::protocol_error);
  const unsigned op_bits = b0 & 0x0Fu;
  if (op_bits > 2 && (op_bits < 8 || op_bits > 10)) return fail(close_code::protocol_error);
  const auto op = static_cast<opcode>(op_bits);
  const bool masked = (b1 & 0x80u) != 0;
  if (masked != (options_.role == role::server)) return fail(close_code::protocol_error);
  std::uint64_t length = b1 & 0x7Fu;
  const bool control = is_control(op);
  if (control) {
    if (!fin || length > max_control_payload) return fail(close_code::protocol_error);
  } else if (op == opcode::continuation) {
    if (!in_message_) return fail(close_code::protocol_error);
  } else if (in_message_) {
    return fail(close_code::protocol_error);
  }

  const std::size_t length_bytes = length == 126 ? 2 : length == 127 ? 8 : 0;
  const std::size_t header = 2 + length_bytes + (masked ? 4 : 0);
  if (in.size() < header) return result::more(header);
  if (length_bytes != 0) {
    length = 0;
    for (std::size_t i = 0; i < length_bytes; ++i)
      length = (length << 8) | byte_at(in, 2 + i);
    if ((length >> 63) != 0) return fail(close_code::protocol_error);
  }
  // Security: decided by the header alone, before any of the payload is buffered.
  if (!control) {
    const std::size_t so_far = in_message_ ? message_.size() : 0;
    if (length > options_.max_message - so_far) return fail(close_code::message_too_big);
  }
  std::array<char, 4> key{};
  if (masked) std::memcpy(key.data(), in.data() + header - 4, 4);
  const auto n = static_cast<std::size_t>(length);
  const std::size_t total = header + n;
  if (in.size() < total) return result::more(total);
  const char* payload = in.data() + header;

  if (control) {
    std::memcpy(control_.data(), payload, n);
    if (masked) apply_mask(control_.data(), n, key);
    const std::string_view data{control_.data(), n};
    if (op != opcode::close) return result::ready(frame{op, data, 0}, total);
    if (n == 0)
      return result::ready(frame{op, {}, static_cast<std::uint16_t>(close_code::no_status)}, total);
    if (n == 1) return fail(close_code::protocol_error);
    const auto code = static_cast<std::uint16_t>((static_cast<unsigned char>(data[0]) << 8) |
                                                 static_cast<unsigned char>(data[1]));
    if (!is_valid_close_code(code)) return fail(close_code::protocol_error);
    const auto reason = data.substr(2);
    if (!detail::is_valid_utf8(reason)) return fail(close_code::invalid_payload);
    return result::ready(frame{op, reason, code}, total);
  }

  if (op != opcode::continuation && fin) {  // a whole message in one frame
    std::string_view data{payload, n};
    if (masked) {
      reuse(scratch_, n, options_.keep_buffer);
      append_payload(scratch_, payload, n, true, key);
      data = scratch_;
    }
    if (op == opcode::text && !detail::is_valid_utf8(data))
      return fail(close_code::invalid_payload);
    if (!in_message_ && message_.capacity() > options_.keep_buffer) std::string{}.swap(message_);
    return result::ready(frame{op, data, 0}, total);
  }

  // A fragment. The state changes only here, with the frame consumed: an answer of
  // `more` above leaves everything as it was for the next call on the same bytes.
  if (op != opcode::continuation) {
    reuse(message_, n, options_.keep_buffer);
    utf8_.reset();
    message_op_ = op;
    in_message_ = true;
  }
  const std::size_t at = message_.size();
  append_payload(message_, payload, n, masked, key);
  if (message_op_ == opcode::text &&
      !utf8_.feed(std::string_view{message_}.substr(at)))  // fail fast, mid-message
    return fail(close_code::invalid_payload);
  if (!fin) return result::ready(frame{opcode::continuation, {}, 0}, total);
  in_message_ = false;
  if (message_op_ == opcode::text && !utf8_.complete()) return fail(close_code::invalid_payload);
  return result::ready(frame{message_op_, message_, 0}, total);
}

void codec::release_memory() noexcept {
  if (scratch_.capacity() > options_.keep_buffer) std::string{}.swap(scratch_);
  if (!in_message_ && message_.capacity() > options_.keep_buffer) std::string{}.swap(message_);
}

void codec::encode_frame(opcode op, std::string_view payload, std::string& out, bool fin) const {
  if (is_control(op) && payload.size() > max_control_payload)
    throw_error(errc::invalid_frame, "websocket: a control frame carries at most 125 bytes");
  const bool mask = options_.role == role::client;
  std::array<char, max_header> header{};
  std::size_t h = 0;
  header[h++] = static_cast<char>((fin ? 0x80u : 0u) | static_cast<unsigned>(op));
  const unsigned mask_bit = mask ? 0x80u : 0u;
  const std::uint64_t n = payload.size();
  if (n < 126) {
    header[h++] = static_cast<char>(mask_bit | n);
  } else if (n <= 0xFFFF) {
    header[h++] = static_cast<char>(mask_bit | 126u);
    header[h++] = static_cast<char>(n >> 8);
    header[h++] = static_cast<char>(n & 0xFF);
  } else {
    header[h++] = static_cast<char>(mask_bit | 127u);
    for (int shift = 56; shift >= 0; shift -= 8)
      header[h++] = static_cast<char>((n >> shift) & 0xFF);
  }
  std::array<char, 4> key{};
  if (mask) {
    key = random_key();
    std::memcpy(header.data() + h, key.data(), 4);
    h += 4;
  }
  out.append(header.data(), h);
  append_payload(out, payload.data(), payload.size(), mask, key);
}

void codec::encode(std::string_view text, std::string& out) const {
  encode_frame(opcode::text, text, out);
}

void codec::encode(const ping& p, std::string& out) const {
  encode_frame(opcode::ping, p.data, out);
}

void codec::encode(const pong& p, std::string& out) const {
  encode_frame(opcode::pong, p.data, out);
}

void codec::encode(const close_frame& c, std::string& out) const {
  if (c.code == 0) {
    if (!c.reason.empty())
      throw_error(errc::invalid_frame, "websocket: a close reason needs a close code");
    encode_frame(opcode::close, {}, out);
    return;
  }
  if (!is_valid_close_code(c.code))
    throw_error(errc::invalid_frame, "websocket: not a close code that may be sent");
  if (c.reason.size() > max_control_payload - 2)
    throw_error(errc::invalid_frame, "websocket: a close reason has at most 123 bytes");
  std::array<char, max_control_payload> payload{};
  payload[0] = static_cast<char>(c.code >> 8);
  payload[1] = static_cast<char>(c.code & 0xFF);
  if (!c.reason.empty()) std::memcpy(payload.data() + 2, c.reason.data(), c.reason.size());
  encode_frame(opcode::close, std::string_view{payload.data(), 2 + c.reason.size()}, out);
}

void codec::encode(const frame& f, std::string& out) const {
  switch (f.op) {
    case opcode::text:
    case opcode::binary:
    case opcode::ping:
    case opcode::pong:
      encode_frame(f.op, f.payload, out);
      return;
    case opcode::close: {
      const bool no_code =
          f.code == 0 || f.code == static_cast<std::uint16_t>(close_code::no_status);
      const close_frame c{no_code ? std::uint16_t{0} : f.code, f.payload};
      encode(c, out);
      return;
    }
    case opcode::continuation:
      break;
  }
  throw_error(errc::invalid_frame, "websocket: a continuation is not a frame of its own");
}

}  // namespace coronet::websocket
