#include "commands/command.hpp"

#include <algorithm>
#include <span>

namespace kv::detail {

const command_meta* find_command(std::string_view name) noexcept {
  const auto& table = name.find('|') == std::string_view::npos
                          ? std::span<const command_meta>{command_table}
                          : std::span<const command_meta>{subcommand_table};
  for (const auto& c : table)
    if (resp::iequals(c.name, name)) return &c;
  return nullptr;
}

const command_meta* find_subcommand(std::string_view parent, std::string_view sub) noexcept {
  for (const auto& c : subcommand_table) {
    const auto bar = c.name.find('|');
    if (resp::iequals(c.name.substr(0, bar), parent) && resp::iequals(c.name.substr(bar + 1), sub))
      return &c;
  }
  return nullptr;
}

bool is_subcommand_of(const command_meta& sub, const command_meta& parent) noexcept {
  return sub.name.size() > parent.name.size() && sub.name.starts_with(parent.name) &&
         sub.name[parent.name.size()] == '|';
}

std::size_t subcommand_count(const command_meta& parent) noexcept {
  std::size_t n = 0;
  for (const auto& sub : subcommand_table)
    n += is_subcommand_of(sub, parent) ? 1 : 0;
  return n;
}

bool list_filter_matches(const command_meta& c, std::string_view type, std::string_view arg) {
  if (resp::iequals(type, "PATTERN")) return glob_match(arg, c.name);
  if (!resp::iequals(type, "ACLCAT")) return false;  // MODULE: kv_server loads none
  // Categories are named without their '@' here, as in Redis (`ACLCAT string`).
  for (auto words = c.categories; !words.empty();) {
    const auto word = words.substr(0, words.find(' '));
    if (word.size() == arg.size() + 1 && resp::iequals(word.substr(1), arg)) return true;
    words.remove_prefix(std::min(words.size(), word.size() + 1));
  }
  return false;
}

}  // namespace kv::detail
