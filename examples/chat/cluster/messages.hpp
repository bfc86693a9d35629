// The messages chat::cluster sends through Redis, written and read in one place.
// Included by the cluster's files only (cluster.cpp, operations.cpp, link.hpp,
// member_mirror.hpp).
//
//   channel `events`:   "ORIGIN\nJSON"            an event (a say, or a membership
//                                                 change made by a script)
//                       "ORIGIN\nJSON\n#SEQ"      a membership change ORIGIN made, which
//                                                 its own members get from the channel
//                                                 too (SEQ 0: nobody waits for it)
//   channel `to:NODE`:  "ORIGIN\nKEY\nJSON"       a whisper for NODE's member KEY
//                       "NODE\n\n#TOKEN"          NODE's own sync marker (member_mirror.hpp):
//                                                 no name is empty, so no whisper looks so
//   registry values:    "NODE\nName"              who holds a name, as its owner spelled it
#pragma once

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace chat::messages {

// The registry's key for a name: names are unique case-insensitively.
inline std::string lower(std::string_view name) {
  std::string k{name};
  for (auto& c : k)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return k;
}

// "NODE\nName" -> Name.
inline std::string name_of(std::string_view registered) {
  const auto nl = registered.find('\n');
  return std::string{nl == std::string_view::npos ? registered : registered.substr(nl + 1)};
}

// "ORIGIN\nJSON\n#SEQ": an event whose echo on the channel its origin waits for.
inline std::string tagged(const std::string& origin, const std::string& json, std::uint64_t seq) {
  return origin + "\n" + json + "\n#" + std::to_string(seq);
}

namespace detail {
// The digits of "#N" at `at` (anything else reads as 0, which nobody waits for).
inline std::uint64_t number_at(std::string_view s, std::size_t at) {
  std::uint64_t n = 0;
  if (at >= s.size() || s[at] != '#') return 0;
  for (auto i = at + 1; i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])); ++i)
    n = n * 10 + static_cast<std::uint64_t>(s[i] - '0');
  return n;
}
}  // namespace detail

// A message of the `events` channel. Views into the payload.
struct event {
  std::string_view origin;
  std::string_view json;
  bool tagged = false;    // a membership change of `origin`'s, echoed to its own members
  std::uint64_t seq = 0;  // for tagged ones
};

inline std::optional<event> parse_event(std::string_view payload) {
  const auto nl = payload.find('\n');
  if (nl == std::string_view::npos) return std::nullopt;
  event e{payload.substr(0, nl), {}, false, 0};
  const auto json_end = std::min(payload.find('\n', nl + 1), payload.size());
  e.json = payload.substr(nl + 1, json_end - nl - 1);
  if (json_end + 1 < payload.size() && payload[json_end + 1] == '#') {
    e.tagged = true;
    e.seq = detail::number_at(payload, json_end + 1);
  }
  return e;
}

// A message of a node's own channel: a whisper, or (key empty) a sync marker whose
// token is `marker`.
struct direct {
  std::string_view origin;
  std::string_view key;
  std::string_view json;
  std::uint64_t marker = 0;
};

inline std::optional<direct> parse_direct(std::string_view payload) {
  const auto nl = payload.find('\n');
  if (nl == std::string_view::npos) return std::nullopt;
  const auto nl2 = payload.find('\n', nl + 1);
  if (nl2 == std::string_view::npos) return std::nullopt;
  direct d{payload.substr(0, nl), payload.substr(nl + 1, nl2 - nl - 1), payload.substr(nl2 + 1), 0};
  if (d.key.empty()) d.marker = detail::number_at(payload, nl2 + 1);
  return d;
}

inline std::string marker(const std::string& node, std::uint64_t token) {
  return node + "\n\n#" + std::to_string(token);
}

}  // namespace chat::messages
