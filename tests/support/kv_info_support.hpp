// The kv INFO tests' shared piece (test_kv_info.cpp, test_kv_stats.cpp): the
// "field:value" lines of an INFO text, by field, for tests that read INFO's figures
// from the in-process handler or from redis-cli's output.
#pragma once

#include "process.hpp"

#include <map>
#include <string>

namespace coronet::test::kv_info_support {

// The "field:value" lines of an INFO text (as redis-cli prints it), by field.
inline std::map<std::string, std::string> fields_of(const std::string& text) {
  std::map<std::string, std::string> fields;
  for (auto line : split_lines(text)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const auto colon = line.find(':');
    if (line.empty() || line[0] == '#' || colon == std::string::npos) continue;
    fields[line.substr(0, colon)] = line.substr(colon + 1);
  }
  return fields;
}

}  // namespace coronet::test::kv_info_support
