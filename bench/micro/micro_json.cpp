// json_channel microbenchmarks: what json_channel does per message, without a socket.
// Encode is json_channel::serialize plus line framing into the output buffer; decode is
// the line frame's parse_message (depth check, then nlohmann parse). Two messages: a
// typical chat line, and an object of about 4 KiB with nested arrays and objects.
#include "alloc_counter.hpp"

#include <coronet/json/json_channel.hpp>

#include <benchmark/benchmark.h>

#include <string>

namespace {

nlohmann::json chat_message() {
  return {{"type", "say"},
          {"room", "lobby"},
          {"from", "alice"},
          {"text", "hello everyone, is the build green again?"},
          {"ts", 1732480000123}};
}

// About 4 KiB serialized: the kind of record an API returns (users with tags and stats).
nlohmann::json object_4k() {
  nlohmann::json users = nlohmann::json::array();
  for (int i = 0; users.dump().size() < 3900; ++i) {
    users.push_back({{"id", 1000 + i},
                     {"name", "user-" + std::to_string(i)},
                     {"active", i % 3 != 0},
                     {"score", 12.5 * i},
                     {"tags", {"alpha", "beta", "gamma"}},
                     {"stats", {{"posts", i * 7}, {"likes", i * 31}}}});
  }
  return {{"type", "users"}, {"page", 1}, {"users", users}};
}

using channel = coronet::json_channel<>;

void encode(benchmark::State& state, const nlohmann::json& msg) {
  const coronet::line_codec codec;
  std::string out;
  std::size_t bytes = 0;
  const auto allocs_before = bench::allocations();
  for (auto _ : state) {
    out.clear();
    // As json_channel::write: serialize into a text, frame it into the output buffer.
    std::string text;
    channel::serialize(msg, text);
    codec.encode(std::string_view{text}, out);
    benchmark::DoNotOptimize(out.data());
    bytes += out.size();
  }
  const auto allocs = bench::allocations() - allocs_before;
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["allocs_per_msg"] =
      static_cast<double>(allocs) /
      static_cast<double>(std::max<std::int64_t>(1, state.iterations()));
  state.counters["msg_bytes"] = static_cast<double>(out.size());
}

void decode(benchmark::State& state, const nlohmann::json& msg) {
  const std::string text = msg.dump();
  const auto allocs_before = bench::allocations();
  for (auto _ : state) {
    auto value = coronet::parse_message(text);
    benchmark::DoNotOptimize(value);
  }
  const auto allocs = bench::allocations() - allocs_before;
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["allocs_per_msg"] =
      static_cast<double>(allocs) /
      static_cast<double>(std::max<std::int64_t>(1, state.iterations()));
  state.counters["msg_bytes"] = static_cast<double>(text.size());
}

void encode_chat(benchmark::State& state) {
  encode(state, chat_message());
}
void decode_chat(benchmark::State& state) {
  decode(state, chat_message());
}
void encode_4k(benchmark::State& state) {
  encode(state, object_4k());
}
void decode_4k(benchmark::State& state) {
  decode(state, object_4k());
}

}  // namespace

BENCHMARK(encode_chat)->Name("json/encode/chat");
BENCHMARK(decode_chat)->Name("json/decode/chat");
BENCHMARK(encode_4k)->Name("json/encode/4k");
BENCHMARK(decode_4k)->Name("json/decode/4k");
