// What kv_server tells clients about its commands: the table behind COMMAND, COMMAND
// INFO / COUNT / LIST and the arity checks, with Redis 7.0's data for each command
// (arity, flags, key positions, ACL categories, tips, key specification), so that
// `COMMAND INFO get` answers byte for byte what redis-server 7.0 answers.
#pragma once

#include "store.hpp"

#include <coronet/resp/resp_codec.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace kv {

// Redis's glob (`*`, `?`, `[abc]`, `[a-z]`, `\x`), case-insensitive, for CONFIG GET and
// COMMAND LIST FILTERBY PATTERN.
bool glob_match(std::string_view pattern, std::string_view text) noexcept;

namespace detail {

namespace resp = coronet::resp;

std::string arity_message(std::string_view name);
std::string unknown_subcommand_message(std::string_view sub, std::string_view command);

struct command_meta {
  std::string_view name;   // lower case; "parent|sub" for a subcommand
  int arity;               // Redis's convention: n exactly, -n at least n (name included)
  std::string_view flags;  // space-separated, in Redis's order
  int first_key = 0, last_key = 0, step = 0;
  std::string_view categories;  // ACL categories, space-separated
  std::string_view tips;        // space-separated
  std::string_view key_flags;   // the key specification's flags; empty: no keys
  std::string_view key_notes;   // the key specification's notes, if any
};

// Most frequent first: execute() scans it, comparing lengths before letters.
inline constexpr std::array<command_meta, 18> command_table{{
    {"get", 2, "readonly fast", 1, 1, 1, "@read @string @fast", "", "RO access", ""},
    {"set", -3, "write denyoom", 1, 1, 1, "@write @string @slow", "",
     "RW access update variable_flags", "RW and ACCESS due to the optional `GET` argument"},
    {"incr", 2, "write denyoom fast", 1, 1, 1, "@write @string @fast", "", "RW access update", ""},
    {"decr", 2, "write denyoom fast", 1, 1, 1, "@write @string @fast", "", "RW access update", ""},
    {"mget", -2, "readonly fast", 1, -1, 1, "@read @string @fast", "request_policy:multi_shard",
     "RO access", ""},
    {"mset", -3, "write denyoom", 1, -1, 2, "@write @string @slow",
     "request_policy:multi_shard response_policy:all_succeeded", "OW update", ""},
    {"del", -2, "write", 1, -1, 1, "@keyspace @write @slow",
     "request_policy:multi_shard response_policy:agg_sum", "RM delete", ""},
    {"exists", -2, "readonly fast", 1, -1, 1, "@keyspace @read @fast",
     "request_policy:multi_shard response_policy:agg_sum", "RO", ""},
    {"ping", -1, "fast", 0, 0, 0, "@fast @connection",
     "request_policy:all_shards response_policy:all_succeeded", "", ""},
    {"echo", 2, "loading stale fast", 0, 0, 0, "@fast @connection", "", "", ""},
    {"incrby", 3, "write denyoom fast", 1, 1, 1, "@write @string @fast", "", "RW access update",
     ""},
    {"decrby", 3, "write denyoom fast", 1, 1, 1, "@write @string @fast", "", "RW access update",
     ""},
    {"dbsize", 1, "readonly fast", 0, 0, 0, "@keyspace @read @fast",
     "request_policy:all_shards response_policy:agg_sum", "", ""},
    {"flushall", -1, "write", 0, 0, 0, "@keyspace @write @slow @dangerous",
     "request_policy:all_shards response_policy:all_succeeded", "", ""},
    {"command", -1, "loading stale", 0, 0, 0, "@slow @connection", "nondeterministic_output_order",
     "", ""},
    {"config", -2, "", 0, 0, 0, "@slow", "", "", ""},
    {"quit", -1, "noscript loading stale fast no_auth allow_busy", 0, 0, 0, "@fast @connection", "",
     "", ""},
    {"info", -1, "loading stale", 0, 0, 0, "@slow @dangerous",
     "nondeterministic_output request_policy:all_shards response_policy:special", "", ""},
}};

// The subcommands kv_server implements (Redis has more), after their parent's name.
inline constexpr std::array<command_meta, 5> subcommand_table{{
    {"command|count", 2, "loading stale", 0, 0, 0, "@slow @connection", "", "", ""},
    {"command|docs", -2, "loading stale", 0, 0, 0, "@slow @connection",
     "nondeterministic_output_order", "", ""},
    {"command|info", -2, "loading stale", 0, 0, 0, "@slow @connection",
     "nondeterministic_output_order", "", ""},
    {"command|list", -2, "loading stale", 0, 0, 0, "@slow @connection",
     "nondeterministic_output_order", "", ""},
    {"config|get", -3, "admin noscript loading stale", 0, 0, 0, "@admin @slow @dangerous", "", "",
     ""},
}};

// A command or subcommand ("config|get") by name, case-insensitively; nullptr if none.
const command_meta* find_command(std::string_view name) noexcept;
// `parent sub` of a request, if kv_server implements it.
const command_meta* find_subcommand(std::string_view parent, std::string_view sub) noexcept;
// The subcommands of `parent` in subcommand_table.
std::size_t subcommand_count(const command_meta& parent) noexcept;
bool is_subcommand_of(const command_meta& sub, const command_meta& parent) noexcept;
// Whether a request's argument count fits `arity`.
inline bool arity_fits(int arity, std::size_t argc) noexcept {
  const auto n = static_cast<std::int64_t>(argc);
  return arity > 0 ? n == arity : n >= -arity;
}
// COMMAND LIST's FILTERBY: PATTERN (glob), ACLCAT (a category, without '@'), MODULE.
bool list_filter_matches(const command_meta& c, std::string_view type, std::string_view arg);

template <typename Out>
void write_words(Out& out, std::string_view words, bool as_bulk) {
  const auto spaces = static_cast<std::size_t>(std::ranges::count(words, ' '));
  out.write(resp::array_header{words.empty() ? 0 : spaces + 1});
  while (!words.empty()) {
    const auto word = words.substr(0, words.find(' '));
    if (as_bulk)
      out.write(resp::bulk{word});
    else
      out.write(resp::simple{word});
    words.remove_prefix(std::min(words.size(), word.size() + 1));
  }
}

// One COMMAND INFO entry, Redis 7's ten fields.
template <typename Out>
void write_command_info(Out& out, const command_meta& c) {
  out.write(resp::array_header{10});
  out.write(resp::bulk{c.name});
  out.write(resp::integer{c.arity});
  write_words(out, c.flags, false);
  out.write(resp::integer{c.first_key});
  out.write(resp::integer{c.last_key});
  out.write(resp::integer{c.step});
  write_words(out, c.categories, false);
  write_words(out, c.tips, true);
  if (c.key_flags.empty()) {
    out.write(resp::array_header{0});
  } else {
    // Every key kv knows is found as Redis's "index" then "range" specs find it.
    out.write(resp::array_header{1});
    out.write(resp::array_header{c.key_notes.empty() ? 6U : 8U});
    if (!c.key_notes.empty()) {
      out.write(resp::bulk{"notes"});
      out.write(resp::bulk{c.key_notes});
    }
    out.write(resp::bulk{"flags"});
    write_words(out, c.key_flags, false);
    out.write(resp::bulk{"begin_search"});
    out.write(resp::array_header{4});
    out.write(resp::bulk{"type"});
    out.write(resp::bulk{"index"});
    out.write(resp::bulk{"spec"});
    out.write(resp::array_header{2});
    out.write(resp::bulk{"index"});
    out.write(resp::integer{c.first_key});
    out.write(resp::bulk{"find_keys"});
    out.write(resp::array_header{4});
    out.write(resp::bulk{"type"});
    out.write(resp::bulk{"range"});
    out.write(resp::bulk{"spec"});
    out.write(resp::array_header{6});
    out.write(resp::bulk{"lastkey"});
    out.write(resp::integer{c.last_key < 0 ? c.last_key : c.last_key - c.first_key});
    out.write(resp::bulk{"keystep"});
    out.write(resp::integer{c.step});
    out.write(resp::bulk{"limit"});
    out.write(resp::integer{0});
  }
  out.write(resp::array_header{subcommand_count(c)});
  for (const auto& sub : subcommand_table)
    if (is_subcommand_of(sub, c)) write_command_info(out, sub);
}

template <typename Out>
void arity_error(Out& out, std::string_view name) {
  const auto text = arity_message(name);
  out.write(resp::error{text});
}

// Finds the subcommand `parent req[1]` and checks its arity, else replies Redis's error
// (and returns nullptr). `parent` in upper case, as Redis's error names it.
template <typename Out>
const command_meta* subcommand_or_error(const resp::request& req, std::string_view parent,
                                        Out& out) {
  const auto* sub = find_subcommand(parent, req[1]);
  if (sub == nullptr) {
    const auto text = unknown_subcommand_message(req[1], parent);
    out.write(resp::error{text});
    return nullptr;
  }
  if (!arity_fits(sub->arity, req.size())) {
    arity_error(out, sub->name);
    return nullptr;
  }
  return sub;
}

// COMMAND [COUNT | INFO [name ...] | LIST [FILTERBY MODULE m|ACLCAT c|PATTERN p] | DOCS]
template <typename Out>
void cmd_command(store&, const resp::request& req, Out& out) {
  if (req.size() == 1) {
    out.write(resp::array_header{command_table.size()});
    for (const auto& c : command_table)
      write_command_info(out, c);
    return;
  }
  const auto* sub = subcommand_or_error(req, "COMMAND", out);
  if (sub == nullptr) return;
  if (sub->name == "command|count")
    return out.write(resp::integer{static_cast<std::int64_t>(command_table.size())});
  if (sub->name == "command|docs") return out.write(resp::array_header{0});
  if (sub->name == "command|info") {
    if (req.size() == 2) {  // no names: every command, as plain COMMAND
      out.write(resp::array_header{command_table.size()});
      for (const auto& c : command_table)
        write_command_info(out, c);
      return;
    }
    out.write(resp::array_header{req.size() - 2});
    for (std::size_t i = 2; i < req.size(); ++i) {
      if (const auto* c = find_command(req[i]))
        write_command_info(out, *c);
      else
        out.write(resp::null);
    }
    return;
  }
  // LIST: no argument, or exactly FILTERBY <type> <arg>.
  std::string_view type, arg;
  if (req.size() != 2) {
    if (req.size() != 5 || !resp::iequals(req[2], "FILTERBY") ||
        !(resp::iequals(req[3], "MODULE") || resp::iequals(req[3], "ACLCAT") ||
          resp::iequals(req[3], "PATTERN")))
      return out.write(resp::error{"ERR syntax error"});
    type = req[3];
    arg = req[4];
  }
  const auto listed = [&](const command_meta& c) {
    return type.empty() || list_filter_matches(c, type, arg);
  };
  std::size_t n = 0;
  for (const auto& c : command_table)
    n += listed(c) ? 1 : 0;
  for (const auto& c : subcommand_table)
    n += listed(c) ? 1 : 0;
  out.write(resp::array_header{n});
  for (const auto& c : command_table) {
    if (listed(c)) out.write(resp::bulk{c.name});
    for (const auto& s : subcommand_table)
      if (is_subcommand_of(s, c) && listed(s)) out.write(resp::bulk{s.name});
  }
}

}  // namespace detail
}  // namespace kv
