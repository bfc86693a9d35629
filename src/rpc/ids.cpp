// JSON-RPC ids echoed exactly as received.
//
// The specification asks the server to answer with the request's id, and clients match
// on it. nlohmann::json turns a number into an int64, a uint64 or a double, so an id
// like 184467440737095516160 (past 64 bits) would come back as 1.844674407370955e+20,
// and -0 as 0. Such an id is therefore kept as its text (a json binary value, which no
// parsed JSON can produce) and written back verbatim.
#include "coronet/rpc/detail/protocol.hpp"

#include <string>
#include <string_view>

namespace coronet::rpc::detail {
namespace {

using json = nlohmann::json;

constexpr std::uint8_t id_lexeme_subtype = 0x49;  // 'I'

// Walks JSON text that nlohmann has already accepted, so it need not validate.
class id_scanner {
 public:
  explicit id_scanner(std::string_view text) : s_(text) {}

  // Calls f(element, lexeme) with the text of the "id" of the request object (element
  // 0) or of each object in a batch (its index). The last "id" wins, as in the DOM.
  template <typename F>
  void each_id(F f) {
    space();
    if (peek() == '{') {
      if (auto id = object_id(); !id.empty()) f(std::size_t{0}, id);
      return;
    }
    if (peek() != '[') return;
    ++i_;
    for (std::size_t index = 0;; ++index) {
      space();
      if (peek() == ']' || i_ >= s_.size()) return;
      if (peek() == '{') {
        if (auto id = object_id(); !id.empty()) f(index, id);
      } else {
        value();
      }
      space();
      if (peek() == ',') ++i_;
    }
  }

 private:
  char peek() const noexcept { return i_ < s_.size() ? s_[i_] : '\0'; }
  void space() noexcept {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\r' || s_[i_] == '\n'))
      ++i_;
  }
  std::string_view string() noexcept {
    const std::size_t start = i_++;
    while (i_ < s_.size() && s_[i_] != '"')
      i_ += s_[i_] == '\\' ? 2 : 1;
    ++i_;
    return s_.substr(start, i_ - start);
  }
  void value() noexcept {
    const char c = peek();
    if (c == '"') {
      string();
    } else if (c == '{' || c == '[') {
      std::size_t depth = 0;
      do {
        const char d = peek();
        if (d == '"') {
          string();
          continue;
        }
        if (d == '{' || d == '[') ++depth;
        if (d == '}' || d == ']') --depth;
        ++i_;
      } while (depth != 0 && i_ < s_.size());
    } else {
      while (i_ < s_.size() && s_[i_] != ',' && s_[i_] != '}' && s_[i_] != ']' && s_[i_] != ' ' &&
             s_[i_] != '\t' && s_[i_] != '\r' && s_[i_] != '\n')
        ++i_;
    }
  }
  std::string_view object_id() {
    std::string_view id;
    ++i_;  // '{'
    for (;;) {
      space();
      if (peek() != '"') break;  // '}' (or the end)
      const auto key = string();
      space();
      ++i_;  // ':'
      space();
      const std::size_t start = i_;
      value();
      if (is_id(key)) id = s_.substr(start, i_ - start);
      space();
      if (peek() != ',') break;
      ++i_;
    }
    ++i_;  // '}'
    return id;
  }
  static bool is_id(std::string_view quoted_key) {
    if (quoted_key == "\"id\"") return true;
    if (quoted_key.find('\\') == std::string_view::npos) return false;
    return json::parse(quoted_key).get_ref<const std::string&>() == "id";  // "\u0069d"
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

// A number whose parsed value might not print as it was written.
bool may_differ(const json& id) {
  return id.is_number_float() || (id.is_number_integer() && id.get<std::int64_t>() == 0);
}

bool any_may_differ(const json& message) {
  auto check = [](const json& request) {
    if (!request.is_object()) return false;
    const auto id = request.find("id");
    return id != request.end() && may_differ(*id);
  };
  if (!message.is_array()) return check(message);
  for (const auto& element : message)
    if (check(element)) return true;
  return false;
}

}  // namespace

void keep_id_lexemes(std::string_view text, json& message) {
  if (!any_may_differ(message)) return;  // the common case: no scan at all
  id_scanner{text}.each_id([&message](std::size_t index, std::string_view lexeme) {
    json& request = message.is_array() ? message[index] : message;
    auto id = request.find("id");
    if (id == request.end() || !may_differ(*id) || id->dump() == lexeme) return;
    *id = json::binary(std::vector<std::uint8_t>(lexeme.begin(), lexeme.end()), id_lexeme_subtype);
  });
}

bool is_id_lexeme(const json& id) noexcept {
  return id.is_binary() && id.get_binary().has_subtype() &&
         id.get_binary().subtype() == id_lexeme_subtype;
}

void append_response(const json& response, std::string& out) {
  if (response.is_array()) {
    out += '[';
    for (std::size_t i = 0; i < response.size(); ++i) {
      if (i != 0) out += ',';
      append_response(response[i], out);
    }
    out += ']';
    return;
  }
  const auto id = response.is_object() ? response.find("id") : response.end();
  if (id == response.end() || !is_id_lexeme(*id)) {
    coronet::detail::append_json(response, out);
    return;
  }
  // Members print in key order, so the id sits at a known place: first in a result
  // ({"id":..,"jsonrpc":..,"result":..}), just before "jsonrpc" in an error
  // ({"error":..,"id":..,"jsonrpc":"2.0"}).
  json copy = response;
  copy["id"] = nullptr;
  std::string text;
  coronet::detail::append_json(copy, text);
  const auto& bytes = id->get_binary();
  const std::string lexeme(bytes.begin(), bytes.end());
  constexpr std::string_view first = R"({"id":null,)";
  constexpr std::string_view last = R"("id":null,"jsonrpc":"2.0"})";
  if (text.starts_with(first)) {
    text.replace(6, 4, lexeme);
  } else if (text.ends_with(last)) {
    text.replace(text.size() - last.size() + 5, 4, lexeme);
  }
  out += text;
}

}  // namespace coronet::rpc::detail
