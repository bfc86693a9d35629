// The kv example under pipelining and real clients: one write of replies per read, large
// replies flushed early, a 10 000-command burst over a socket, redis-cli and
// redis-benchmark against an in-process server, and two server threads sharing one store.
#include "kv_support.hpp"

#include <algorithm>
#include <exception>
#include <optional>
#include <string>

using namespace coronet;
using namespace coronet::test;
using namespace coronet::test::kv_support;

TEST_SUITE("kv") {
  TEST_CASE("kv: 10 000 pipelined commands get one write of replies per read") {
    std::string in, want;
    for (int i = 0; i < 10000; ++i) {
      const auto n = std::to_string(i / 3);
      switch (i % 3) {
        case 0:
          in += command({"SET", "key:" + n, "value:" + n});
          want += "+OK\r\n";
          break;
        case 1:
          in += command({"GET", "key:" + n});
          want += bulk("value:" + n);
          break;
        default:
          in += "INCR counter\r\n";
          want += ":" + std::to_string(i / 3 + 1) + "\r\n";
      }
    }
    // A read buffer that takes the whole burst: one read, 10 000 replies, one write
    // (the second read is the EOF).
    kv::store db;
    auto got = serve_script(db, {in}, {.read_buffer_size = 512 * 1024});
    CHECK(got.written == want);
    CHECK(got.reads == 2);
    CHECK(got.writes == 1);
    // The default 16 KiB buffer: one write per read, each carrying that read's replies.
    kv::store db2;
    got = serve_script(db2, {in});
    CHECK(got.written == want);
    CHECK(got.reads > 10);
    CHECK(got.writes == got.reads - 1);
  }

  TEST_CASE("kv: replies to a pipelined burst are flushed once they pass 256 KiB") {
    kv::store db;
    const std::string value(300 * 1024, 'v');
    db.set("big", value);
    std::string in;
    for (int i = 0; i < 10; ++i)
      in += "GET big\r\n";
    auto got = serve_script(db, {in});
    CHECK(got.written.size() == 10 * bulk(value).size());
    CHECK(got.writes == 10);  // one per reply: never more than one large reply pending
  }

  TEST_CASE(
      "kv: over a socket a pipelined batch of 10 000 commands in one write is answered in order") {
    kv_fixture kv;
    std::string in, want;
    for (int i = 0; i < 10000; ++i) {
      const auto n = std::to_string(i);
      if (i % 2 == 0) {
        in += command({"SET", "k" + n, n});
        want += "+OK\r\n";
      } else {
        in += command({"GET", "k" + std::to_string(i - 1)});
        want += bulk(std::to_string(i - 1));
      }
    }
    auto client = [](std::uint16_t port, std::string burst,
                     std::string* out) -> asio::awaitable<void> {
      auto conn = co_await connect("127.0.0.1", port);
      co_await conn.write(asio::buffer(burst));  // one write of the whole batch
      conn.shutdown_send();
      *out = co_await read_to_eof(conn);
    };
    std::string replies;
    run(client(kv.port(), in, &replies));
    CHECK(replies.size() == want.size());
    CHECK(replies == want);
    CHECK(kv.db.size() == 5000);
  }

  TEST_CASE("kv: redis-cli against the server (fails if redis-cli is missing)") {
    kv_fixture kv;
    auto r = shell(kv.cli() + "SET k v");
    REQUIRE_MESSAGE(r.status == 0,
                    "redis-cli failed (install redis-tools, scripts/setup.sh): " << r.output);
    CHECK(r.output == "OK\n");
    r = shell(kv.cli() + "GET k");
    CHECK(r.status == 0);
    CHECK(r.output == "v\n");
    r = shell(kv.cli() + "INCR n");
    CHECK(r.output == "1\n");
    r = shell(kv.cli() + "INCR n");
    CHECK(r.output == "2\n");
    r = shell(kv.cli() + "MGET k nope n");
    CHECK(r.output == "v\n\n2\n");
    r = shell(kv.cli() + "SET k notanumber");
    r = shell(kv.cli() + "INCR k");
    CHECK(r.output == "ERR value is not an integer or out of range\n\n");  // as with Redis
    r = shell(kv.cli() + "NOSUCH x");
    CHECK(r.output == "ERR unknown command 'NOSUCH', with args beginning with: 'x' \n\n");
    r = shell(kv.cli() + "CONFIG GET save");
    CHECK(r.output == "save\n\n");
    // Commands from stdin, one per line, as a script would feed them.
    r = shell("printf 'SET x 41\\nINCR x\\nDBSIZE\\n' | " + kv.cli());
    CHECK(r.status == 0);
    CHECK(r.output == "OK\n42\n3\n");
    CHECK(kv.db.size() == 3);
  }

  TEST_CASE("kv: redis-benchmark runs without a CONFIG warning") {
    kv_fixture kv;
    auto r = shell("timeout 60 redis-benchmark -h 127.0.0.1 -p " + std::to_string(kv.port()) +
                   " -n 2000 -c 4 -t ping_inline,set,get -q");
    REQUIRE_MESSAGE(r.status == 0, "redis-benchmark failed: " << r.output);
    CHECK(r.output.find("WARNING") == std::string::npos);
    CHECK(r.output.find("PING_INLINE:") != std::string::npos);
    CHECK(r.output.find("SET:") != std::string::npos);
    CHECK(r.output.find("GET:") != std::string::npos);
    MESSAGE(r.output);
  }
}

namespace {

asio::awaitable<void> incr_many(std::uint16_t port, int times) {
  auto conn = co_await connect("127.0.0.1", port);
  std::string burst;
  for (int i = 0; i < times; ++i)
    burst += "INCR shared\r\n";
  co_await conn.write(asio::buffer(burst));
  conn.shutdown_send();
  auto replies = co_await read_to_eof(conn);
  CHECK(std::count(replies.begin(), replies.end(), ':') == times);
}

}  // namespace

TEST_SUITE("threads") {
  TEST_CASE("kv: two server threads share one store and INCR stays atomic") {
    kv_fixture kv{2};
    // Eight clients at once; their commands interleave on the two server threads.
    asio::io_context io;
    int finished = 0;
    std::exception_ptr error;
    for (int c = 0; c < 8; ++c)
      asio::co_spawn(io, incr_many(kv.port(), 500), [&](std::exception_ptr e) {
        ++finished;
        if (e) error = e;
      });
    io.run_for(std::chrono::seconds(20));
    REQUIRE(finished == 8);
    if (error) std::rethrow_exception(error);
    std::string value;
    kv.db.get("shared", [&value](std::optional<std::string_view> v) { value = v.value_or(""); });
    CHECK(value == "4000");
  }
}
