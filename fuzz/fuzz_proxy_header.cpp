// libFuzzer target: parse_proxy_header on arbitrary bytes, and on every prefix of them.
// Checks: a header never claims more bytes than it was given or than the size limit; a
// prefix of a whole header is `more` (never `fail`), and the whole header parses the
// same with anything appended.
#include "fuzz_common.hpp"

#include <coronet/proxy/proxy_protocol.hpp>

using namespace coronet;
using coronet::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view all{reinterpret_cast<const char*>(data), size};
  proxy_header header;
  const auto r = parse_proxy_header(all, header);
  if (r.status != proxy_parse_status::ready) return 0;
  check(r.size > 0 && r.size <= all.size(), "header size outside the input");
  check(r.size <= max_proxy_header_size, "header over the size limit");
  check(header.version == 1 || header.version == 2, "no version");
  for (std::size_t k = 0; k < r.size; ++k) {
    proxy_header partial;
    check(parse_proxy_header(all.substr(0, k), partial).status == proxy_parse_status::more,
          "a prefix of a valid header is not `more`");
  }
  proxy_header again;
  const auto exact = parse_proxy_header(all.substr(0, r.size), again);
  check(exact.status == proxy_parse_status::ready && exact.size == r.size,
        "the header alone parses differently");
  check(again.source == header.source && again.local == header.local &&
            again.unique_id == header.unique_id,
        "the header alone gives other fields");
  return 0;
}
