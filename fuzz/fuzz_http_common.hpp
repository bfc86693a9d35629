// What the HTTP head fuzzers (request and response) share: the comparison of two
// answers, the check that a view lies inside the head, and feeding a stream to a parser
// in growing pieces, as a connection would.
#pragma once

#include "fuzz_common.hpp"

#include <coronet/http/request_head.hpp>

#include <string>
#include <string_view>

namespace coronet::fuzz {

inline bool same(const http::parse_result& a, const http::parse_result& b) {
  return a.status == b.status && a.size == b.size && a.http_status == b.http_status &&
         a.error == b.error;
}

inline bool inside(std::string_view v, std::string_view whole) {
  return v.empty() ||
         (v.data() >= whole.data() && v.data() + v.size() <= whole.data() + whole.size());
}

// Parses a growing buffer after every piece of `in`; the first answer other than `more`
// must be the whole input's (`whole`), and a head that is ready goes to check_head
// with its bytes. `parse(bytes, head)` parses into a fresh Head.
template <typename Head, typename Parse, typename CheckHead>
void check_fed_in_pieces(const input& in, const http::parse_result& whole, Parse parse,
                         CheckHead check_head) {
  const auto all = in.stream;
  std::string buf;
  std::size_t at = 0;
  std::size_t next_chunk = 0;
  http::parse_result last = whole;  // an empty input is parsed whole only
  while (at < all.size()) {
    std::size_t n = in.chunks[next_chunk++ % in.chunks.size()];
    if (n == 0 || n > all.size() - at) n = all.size() - at;
    buf.append(all.substr(at, n));
    at += n;
    Head h;
    last = parse(std::string_view{buf}, h);
    if (last.status == http::parse_status::more) continue;
    check(same(last, whole), "a prefix answers other than the whole input");
    if (last.status == http::parse_status::ready)
      check_head(h, std::string_view{buf}.substr(0, last.size));
    break;
  }
  check(last.status != http::parse_status::more || whole.status == http::parse_status::more,
        "fed in pieces, the parser never answered");
}

}  // namespace coronet::fuzz
