// CONFIG GET pattern [pattern ...]: the parameters redis-benchmark and redis-cli ask for
// at startup, answered from a fixed table.
#pragma once

#include "commands/arguments.hpp"
#include "commands/command.hpp"
#include "store.hpp"

#include <coronet/resp/resp_codec.hpp>

#include <array>
#include <cstddef>
#include <string_view>

namespace kv {

// The CONFIG GET table: what redis-benchmark and redis-cli ask for at startup.
struct config_entry {
  std::string_view name, value;
};
inline constexpr std::array<config_entry, 2> config_table{{{"save", ""}, {"appendonly", "no"}}};

namespace detail {

namespace resp = coronet::resp;

// CONFIG GET pattern [pattern ...]: name/value pairs, each parameter once.
template <typename Out>
void cmd_config(store&, const resp::request& req, Out& out) {
  if (subcommand_or_error(req, "CONFIG", out) == nullptr) return;  // GET is the only one
  std::array<bool, config_table.size()> hit{};
  std::size_t hits = 0;
  for (auto pattern : args_from(req, 2))
    for (std::size_t i = 0; i < config_table.size(); ++i)
      if (!hit[i] && glob_match(pattern, config_table[i].name)) {
        hit[i] = true;
        ++hits;
      }
  out.write(resp::array_header{2 * hits});
  for (std::size_t i = 0; i < config_table.size(); ++i)
    if (hit[i]) {
      out.write(resp::bulk{config_table[i].name});
      out.write(resp::bulk{config_table[i].value});
    }
}

}  // namespace detail
}  // namespace kv
