// resp::to_string: a reply as redis-cli shows it.
#include "coronet/resp/value.hpp"

#include <string>
#include <string_view>

namespace coronet::resp {
namespace {

void quoted(std::string_view s, std::string& out) {
  out.push_back('"');
  for (const char c : s) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\a':
        out += "\\a";
        break;
      case '\b':
        out += "\\b";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
          constexpr std::string_view hex = "0123456789abcdef";
          const auto u = static_cast<unsigned char>(c);
          out += "\\x";
          out.push_back(hex[u >> 4]);
          out.push_back(hex[u & 0xfu]);
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

void append(const value& v, std::size_t indent, std::string& out) {
  switch (v.kind) {
    case kind::simple_string:
      out += v.text;
      return;
    case kind::error:
      out += "(error) " + v.text;
      return;
    case kind::integer:
      out += "(integer) " + std::to_string(v.integer);
      return;
    case kind::bulk_string:
      quoted(v.text, out);
      return;
    case kind::null:
      out += "(nil)";
      return;
    case kind::array:
      break;
  }
  if (v.elements.empty()) {
    out += "(empty array)";
    return;
  }
  // redis-cli aligns nested items under the first one: "1) 1) "a"\n   2) "b"".
  const std::size_t width = std::to_string(v.elements.size()).size();
  for (std::size_t i = 0; i < v.elements.size(); ++i) {
    if (i > 0) {
      out.push_back('\n');
      out.append(indent, ' ');
    }
    auto number = std::to_string(i + 1);
    out.append(width - number.size(), ' ');
    out += number + ") ";
    append(v.elements[i], indent + width + 2, out);
  }
}

}  // namespace

std::string to_string(const value& v) {
  std::string out;
  append(v, 0, out);
  return out;
}

}  // namespace coronet::resp
