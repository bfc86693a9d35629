#include "kv.hpp"

#include "../common/log.hpp"

#include <algorithm>
#include <cctype>
#include <iostream>
#include <string>

namespace kv {

asio::awaitable<void> serve(coronet::connection conn, store* db, options opt) {
  coronet::framed<coronet::resp_codec, coronet::connection> f{std::move(conn)};
  co_await serve_framed(&f, db, opt);
}

void log_output_limit(std::string_view command, std::size_t max_output) {
  std::string name;
  for (char c : command.substr(0, 64))  // the peer chose it: no control characters
    name.push_back(std::isprint(static_cast<unsigned char>(c)) != 0 ? c : '?');
  examples::log_event(
      examples::level::warn, "output_limit", {{"command", name}, {"max_output", max_output}},
      "kv: closed a client: the reply to '", name, "' passed max_output (", max_output, " bytes)");
}

bool glob_match(std::string_view p, std::string_view s) noexcept {
  const auto lower = [](char c) {
    return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  };
  // Iterative matcher with one backtrack point for the last '*': linear in practice and
  // never recursive, so a pattern of many stars cannot blow the stack.
  std::size_t pi = 0, si = 0, star = std::string_view::npos, resume = 0;
  while (si < s.size()) {
    if (pi < p.size() && p[pi] == '*') {
      star = pi++;
      resume = si;
      continue;
    }
    if (pi < p.size()) {
      bool ok = false;
      std::size_t next = pi + 1;
      if (p[pi] == '?') {
        ok = true;
      } else if (p[pi] == '[') {
        std::size_t j = pi + 1;
        const bool negate = j < p.size() && p[j] == '^';
        if (negate) ++j;
        bool in_set = false;
        for (; j < p.size() && p[j] != ']'; ++j) {
          if (p[j] == '\\' && j + 1 < p.size()) {
            in_set = in_set || lower(p[++j]) == lower(s[si]);
          } else if (j + 2 < p.size() && p[j + 1] == '-' && p[j + 2] != ']') {
            auto lo = lower(p[j]), hi = lower(p[j + 2]);
            if (lo > hi) std::swap(lo, hi);
            in_set = in_set || (lower(s[si]) >= lo && lower(s[si]) <= hi);
            j += 2;
          } else {
            in_set = in_set || lower(p[j]) == lower(s[si]);
          }
        }
        ok = in_set != negate;
        next = j < p.size() ? j + 1 : j;
      } else if (p[pi] == '\\' && pi + 1 < p.size()) {
        ok = lower(p[pi + 1]) == lower(s[si]);
        next = pi + 2;
      } else {
        ok = lower(p[pi]) == lower(s[si]);
      }
      if (ok) {
        pi = next;
        ++si;
        continue;
      }
    }
    if (star == std::string_view::npos) return false;
    pi = star + 1;
    si = ++resume;
  }
  while (pi < p.size() && p[pi] == '*')
    ++pi;
  return pi == p.size();
}

namespace detail {

namespace {

void append_safe(std::string& out, std::string_view text) {
  for (char c : text)
    out.push_back(c == '\r' || c == '\n' ? ' ' : c);
}

}  // namespace

std::string unknown_command_message(const resp::request& req) {
  // Redis: "unknown command '%.128s', with args beginning with: " then "'%.*s' " per
  // argument while fewer than 128 characters of them have been written.
  std::string text{"ERR unknown command '"};
  append_safe(text, req.name().substr(0, 128));
  text += "', with args beginning with: ";
  std::size_t args = 0;
  for (std::size_t i = 1; i < req.size() && args < 128; ++i) {
    const auto arg = req[i].substr(0, 128 - args);
    text += '\'';
    append_safe(text, arg);
    text += "' ";
    args += arg.size() + 3;
  }
  return text;
}

std::string arity_message(std::string_view name) {
  std::string text{"ERR wrong number of arguments for '"};
  text += name;
  text += "' command";
  return text;
}

std::string unknown_subcommand_message(std::string_view sub, std::string_view command) {
  std::string text{"ERR unknown subcommand '"};
  append_safe(text, sub.substr(0, 128));
  text += "'. Try ";
  text += command;
  text += " HELP.";
  return text;
}

}  // namespace detail
}  // namespace kv
