// parse_proxy_header: the PROXY protocol, versions 1 (text) and 2 (binary), as HAProxy's
// proxy-protocol.txt specifies them. Every length is checked before it is used: the
// input comes from the network, before anything else has vetted it (fuzz/proxy_header).
#include "coronet/proxy/proxy_protocol.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <cstring>

namespace coronet {
namespace {

using status = proxy_parse_status;
using tcp = asio::ip::tcp;

constexpr std::string_view v1_prefix = "PROXY ";
constexpr std::size_t v1_max = 107;  // the specification's bound, CRLF included
constexpr std::array<unsigned char, 12> v2_signature{0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                                     0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
constexpr std::size_t v2_fixed = 16;  // signature, version/command, family, length

proxy_parse_result fail(std::string why) {
  return {status::fail, 0, std::move(why)};
}

// True if `data` is a beginning of `whole` (or all of it and more).
bool starts_like(std::string_view data, std::string_view whole) {
  const auto n = std::min(data.size(), whole.size());
  return data.substr(0, n) == whole.substr(0, n);
}

std::string_view signature_view() {
  return {reinterpret_cast<const char*>(v2_signature.data()), v2_signature.size()};
}

// ---- version 1 ----------------------------------------------------------------------

bool parse_port(std::string_view text, std::uint16_t& port) {
  // 0 to 65535, decimal, no sign and no leading zero (the specification's form).
  if (text.empty() || text.size() > 5 || (text.size() > 1 && text[0] == '0')) return false;
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value > 65535) return false;
  port = static_cast<std::uint16_t>(value);
  return true;
}

bool parse_address(std::string_view text, bool v6, asio::ip::address& out) {
  // Only address characters: the parser below reads a C string and would stop at a NUL.
  if (text.empty() || text.find_first_not_of(v6 ? "0123456789abcdefABCDEF:." : "0123456789.") !=
                          std::string_view::npos)
    return false;
  std::error_code ec;
  if (v6) {
    auto a = asio::ip::make_address_v6(std::string(text), ec);
    if (ec) return false;
    out = a;
  } else {
    auto a = asio::ip::make_address_v4(std::string(text), ec);
    if (ec) return false;
    out = a;
  }
  return true;
}

proxy_parse_result parse_v1(std::string_view data, proxy_header& out) {
  const auto end = data.substr(0, v1_max).find("\r\n");
  if (end == std::string_view::npos) {
    if (data.size() >= v1_max) return fail("PROXY v1 line longer than 107 bytes");
    // A bare LF or another control byte can never become a valid line.
    if (data.find_first_of(std::string_view{"\n\0", 2}) != std::string_view::npos)
      return fail("PROXY v1 line with a stray control byte");
    return {status::more};
  }
  // The same rule for a whole line as for a partial one (above), so that a header is
  // refused the same however it is split.
  if (data.substr(0, end).find_first_of(std::string_view{"\n\0", 2}) != std::string_view::npos)
    return fail("PROXY v1 line with a stray control byte");
  const std::size_t size = end + 2;
  auto line = data.substr(v1_prefix.size(), end - v1_prefix.size());
  out = proxy_header{};
  out.version = 1;
  if (line == "UNKNOWN" || line.starts_with("UNKNOWN ")) {  // the rest is to be ignored
    out.local = true;
    return {status::ready, size};
  }
  // "TCP4|TCP6 SOURCE DESTINATION SPORT DPORT", separated by single spaces.
  std::array<std::string_view, 5> f{};
  std::size_t count = 0;
  for (;;) {
    if (count == f.size()) return fail("PROXY v1 line with more than 5 fields");
    const auto sp = line.find(' ');
    f[count++] = line.substr(0, sp);
    if (sp == std::string_view::npos) break;
    line.remove_prefix(sp + 1);
  }
  if (count != f.size()) return fail("PROXY v1 line with fewer than 5 fields");
  const bool v6 = f[0] == "TCP6";
  if (!v6 && f[0] != "TCP4") return fail("PROXY v1 protocol is neither TCP4, TCP6 nor UNKNOWN");
  asio::ip::address src, dst;
  std::uint16_t sport = 0, dport = 0;
  if (!parse_address(f[1], v6, src) || !parse_address(f[2], v6, dst))
    return fail("PROXY v1 address does not parse");
  if (!parse_port(f[3], sport) || !parse_port(f[4], dport))
    return fail("PROXY v1 port does not parse");
  out.source = tcp::endpoint{src, sport};
  out.destination = tcp::endpoint{dst, dport};
  return {status::ready, size};
}

// ---- version 2 ----------------------------------------------------------------------

std::uint16_t be16(const unsigned char* p) {
  return static_cast<std::uint16_t>((p[0] << 8) | p[1]);
}

proxy_parse_result parse_tlvs(const unsigned char* p, std::size_t n, proxy_header& out) {
  while (n > 0) {
    if (n < 3) return fail("PROXY v2 TLV cut short");
    const unsigned type = p[0];
    const std::size_t length = be16(p + 1);
    if (length > n - 3) return fail("PROXY v2 TLV longer than the header");
    const std::string value{reinterpret_cast<const char*>(p + 3), length};
    switch (type) {
      case 0x01:
        out.alpn = value;
        break;
      case 0x02:
        out.authority = value;
        break;
      case 0x05:
        if (length > 128) return fail("PROXY v2 unique ID longer than 128 bytes");
        out.unique_id = value;
        break;
      default:
        break;  // CRC32C, NOOP, SSL, NETNS, custom: not needed here
    }
    p += 3 + length;
    n -= 3 + length;
  }
  return {status::ready};
}

proxy_parse_result parse_v2(std::string_view data, proxy_header& out) {
  if (data.size() < v2_fixed) return {status::more};
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  if ((p[12] >> 4) != 2) return fail("PROXY v2 header of another version");
  const unsigned command = p[12] & 0x0F;
  if (command > 1) return fail("PROXY v2 command is neither LOCAL nor PROXY");
  const std::size_t size = v2_fixed + be16(p + 14);
  if (size > max_proxy_header_size) return fail("PROXY v2 header over the size limit");
  if (data.size() < size) return {status::more};
  out = proxy_header{};
  out.version = 2;
  const unsigned family = p[13] >> 4;
  const unsigned transport = p[13] & 0x0F;
  const unsigned char* body = p + v2_fixed;
  std::size_t left = size - v2_fixed;
  std::size_t addresses = 0;
  if (command == 0 || family == 0) {
    out.local = true;  // LOCAL, or PROXY with UNSPEC: the socket's addresses stand
    addresses = command == 0 ? left : 0;  // LOCAL: skip whatever follows
  } else {
    if (transport != 1) return fail("PROXY v2 transport is not a stream");
    if (family == 1) {
      addresses = 12;
      if (left < addresses) return fail("PROXY v2 IPv4 addresses cut short");
      asio::ip::address_v4::bytes_type s{}, d{};
      std::memcpy(s.data(), body, 4);
      std::memcpy(d.data(), body + 4, 4);
      out.source = tcp::endpoint{asio::ip::address_v4{s}, be16(body + 8)};
      out.destination = tcp::endpoint{asio::ip::address_v4{d}, be16(body + 10)};
    } else if (family == 2) {
      addresses = 36;
      if (left < addresses) return fail("PROXY v2 IPv6 addresses cut short");
      asio::ip::address_v6::bytes_type s{}, d{};
      std::memcpy(s.data(), body, 16);
      std::memcpy(d.data(), body + 16, 16);
      out.source = tcp::endpoint{asio::ip::address_v6{s}, be16(body + 32)};
      out.destination = tcp::endpoint{asio::ip::address_v6{d}, be16(body + 34)};
    } else if (family == 3) {
      addresses = 216;  // UNIX sockets: no TCP address to report; the socket's stand
      if (left < addresses) return fail("PROXY v2 UNIX addresses cut short");
      out.local = true;
    } else {
      return fail("PROXY v2 address family unknown");
    }
  }
  if (command == 1) {
    auto tlvs = parse_tlvs(body + addresses, left - addresses, out);
    if (tlvs.status == status::fail) return tlvs;
  }
  return {status::ready, size};
}

}  // namespace

proxy_parse_result parse_proxy_header(std::string_view data, proxy_header& out) {
  if (data.empty()) return {status::more};
  if (data[0] == 'P') {
    if (!starts_like(data, v1_prefix)) return fail("not a PROXY protocol header");
    if (data.size() < v1_prefix.size()) return {status::more};
    return parse_v1(data, out);
  }
  if (!starts_like(data, signature_view())) return fail("not a PROXY protocol header");
  if (data.size() < v2_signature.size()) return {status::more};
  return parse_v2(data, out);
}

}  // namespace coronet
