// json_channel and parse_message: typed messages, bad input answered while the
// connection lives on, depth limits, numbers out of a double's range.
#include "script_stream.hpp"
#include "support.hpp"

#include <coronet/framing/length_prefixed_codec.hpp>
#include <coronet/json/json_channel.hpp>

using namespace coronet;
using namespace coronet::test;
using nlohmann::json;

namespace demo {
struct point {
  int x = 0;
  int y = 0;
  std::string label;
  bool operator==(const point&) const = default;
};
void to_json(json& j, const point& p) {
  j = json{{"x", p.x}, {"y", p.y}, {"label", p.label}};
}
void from_json(const json& j, point& p) {
  j.at("x").get_to(p.x);
  j.at("y").get_to(p.y);
  j.at("label").get_to(p.label);
}
}  // namespace demo

namespace {

// Echoes points back with x and y swapped; answers anything else with an error object.
template <typename Codec>
asio::awaitable<void> point_server(connection conn) {
  json_channel<Codec> ch{std::move(conn)};
  for (;;) {
    std::optional<demo::point> p;
    try {
      p = co_await ch.template read<demo::point>();
    } catch (const message_error& e) {
      ch.write(json{{"error", e.what()}, {"offset", e.offset()}});
      continue;
    }
    if (!p) co_return;
    std::swap(p->x, p->y);
    ch.write(*p);
  }
}

template <typename Codec>
asio::awaitable<void> point_client(std::uint16_t port) {
  json_channel<Codec> ch{co_await connect("127.0.0.1", port)};
  // (Named values: GCC 12 miscompiles string literals inside braced temporaries in a
  // co_await expression, "array used as initializer".)
  const demo::point first{1, 2, "a"};
  co_await ch.send(first);
  auto back = co_await ch.template read<demo::point>();
  REQUIRE(back);
  CHECK(*back == demo::point{2, 1, "a"});

  // Not JSON: an error comes back and the connection lives on.
  ch.frames().write(std::string_view{"{not json"});
  std::optional<json> err = co_await ch.read();
  REQUIRE(err);
  CHECK(err->at("error").get<std::string>().find("parse error") != std::string::npos);
  CHECK(err->at("offset").get<int>() > 0);

  // JSON of the wrong shape: same.
  const json wrong_shape{{"x", "not a number"}};
  co_await ch.send(wrong_shape);
  err = co_await ch.read();
  REQUIRE(err);
  CHECK(err->contains("error"));

  const demo::point last{7, 8, "still alive"};
  co_await ch.send(last);
  back = co_await ch.template read<demo::point>();
  REQUIRE(back);
  CHECK(back->x == 8);
}

}  // namespace

TEST_SUITE("json") {
  TEST_CASE("typed messages round trip over newline-delimited JSON and bad input is answered") {
    running_server s{point_server<line_codec>};
    run(point_client<line_codec>(s.port()));
  }

  TEST_CASE("the same over length-prefixed framing") {
    running_server s{point_server<length_prefixed_codec>};
    run(point_client<length_prefixed_codec>(s.port()));
  }

  TEST_CASE("one compact message per line with invalid UTF-8 replaced rather than thrown") {
    asio::io_context io;
    json_channel<line_codec, script_stream> ch{script_stream{io.get_executor(), {}}};
    ch.write(json{{"a", 1}, {"b", {1, 2}}});
    ch.write(json(std::string("bad \xff byte")));
    asio::co_spawn(io, ch.flush(), [](std::exception_ptr e) {
      if (e) std::rethrow_exception(e);
    });
    io.run();
    CHECK(ch.stream().written == "{\"a\":1,\"b\":[1,2]}\n\"bad \xef\xbf\xbd byte\"\n");
  }

  TEST_CASE("a 1 MiB array nested 100000 levels deep is rejected and the next message read") {
    asio::io_context io;
    std::string deep = std::string(100000, '[') + std::string(100000, ']');
    deep.resize(1 << 20, ' ');
    json_channel_options options;
    line_codec big{{.max_length = 2 << 20}};
    json_channel<line_codec, script_stream> ch{
        script_stream{io.get_executor(), {deep + "\n", "[[1]]\n"}}, big, options};
    bool rejected = false;
    std::optional<json> next;
    asio::co_spawn(
        io,
        [](json_channel<line_codec, script_stream>* c, bool* rej,
           std::optional<json>* nxt) -> asio::awaitable<void> {
          try {
            co_await c->read();
          } catch (const message_error& e) {
            *rej = e.code() == errc::bad_message;
          }
          *nxt = co_await c->read();
        }(&ch, &rejected, &next),
        [](std::exception_ptr e) {
          if (e) std::rethrow_exception(e);
        });
    io.run();
    CHECK(rejected);
    REQUIRE(next);
    CHECK(*next == json::parse("[[1]]"));
  }

  TEST_CASE("the depth scan ignores brackets inside strings") {
    CHECK_FALSE(detail::json_too_deep(
        R"({"s":"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["})", 3));
    CHECK(detail::json_too_deep("[[[[1]]]]", 3));
    CHECK_FALSE(detail::json_too_deep("[[[1]]]", 3));
    CHECK_FALSE(detail::json_too_deep(R"(["\"[[[[["])", 2));
  }

  // Regression: found by fuzz_json_channel. nlohmann throws out_of_range, not
  // parse_error, for a number over a double's range; parse_message let it escape, so
  // one `[1e999]` from a peer ended a json_channel or JSON-RPC connection with an
  // unexpected exception instead of a message_error the handler answers and survives.
  TEST_CASE("parse_message reports a number over a double's range as message_error") {
    CHECK_THROWS_AS(parse_message("[1e3000]"), message_error);
    CHECK_THROWS_AS(parse_message(R"({"id":-1e999})"), message_error);
    try {
      (void)parse_message("1e400");
      FAIL("no exception");
    } catch (const message_error& e) {
      CHECK(e.code() == errc::bad_message);
    }
  }
}
