// The kv example's commands (examples/kv, linked as coronet_kv): Redis semantics and
// error texts byte-exact over an in-memory stream, COMMAND's tables as redis-server 7.0
// answers them, inline splitting and quoting, expiry, and kv's parsing helpers.
#include "kv_support.hpp"

#include <chrono>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

using namespace coronet;
using namespace coronet::test;
using namespace coronet::test::kv_support;

namespace {

const std::string syntax_error = "-ERR syntax error\r\n";
const std::string invalid_expire = "-ERR invalid expire time in 'set' command\r\n";

}  // namespace

TEST_SUITE("kv") {
  TEST_CASE("kv: commands reply as Redis does byte for byte") {
    check_exchanges({
        {"PING", "+PONG\r\n"},
        {"ping hello", "$5\r\nhello\r\n"},
        {"PING a b", "-ERR wrong number of arguments for 'ping' command\r\n"},
        {"ECHO hi", "$2\r\nhi\r\n"},
        {"GET nope", "$-1\r\n"},
        {"SET k v", "+OK\r\n"},
        {"GET k", "$1\r\nv\r\n"},
        {"set k v2 nx", "$-1\r\n"},
        {"GET k", "$1\r\nv\r\n"},
        {"SET k v3 XX", "+OK\r\n"},
        {"GET k", "$2\r\nv3\r\n"},
        {"SET new v XX", "$-1\r\n"},
        {"SET new v NX", "+OK\r\n"},
        {"SET k v NX XX", "-ERR syntax error\r\n"},
        {"SET k v EX 1 PX 1", "-ERR syntax error\r\n"},
        {"SET k v EX", "-ERR syntax error\r\n"},
        {"SET k v FOO", "-ERR syntax error\r\n"},
        {"SET k v EX 0", "-ERR invalid expire time in 'set' command\r\n"},
        {"SET k v PX -5", "-ERR invalid expire time in 'set' command\r\n"},
        {"SET k v EX 9223372036854775807", "-ERR invalid expire time in 'set' command\r\n"},
        {"SET k v EX abc", "-ERR value is not an integer or out of range\r\n"},
        {"SET t tv EX 100", "+OK\r\n"},
        {"GET t", "$2\r\ntv\r\n"},
        {"SET t2 v PX 9223372036854775807", "-ERR invalid expire time in 'set' command\r\n"},
        {"SET t2 v PX 9000000000000000", "+OK\r\n"},  // past the clock's range: no expiry
        {"GET t2", "$1\r\nv\r\n"},
        {"EXISTS k nope k", ":2\r\n"},
        {"DEL k nope k", ":1\r\n"},
        {"GET k", "$-1\r\n"},
        {"INCR n", ":1\r\n"},
        {"incr n", ":2\r\n"},
        {"DECR n", ":1\r\n"},
        {"DECR m", ":-1\r\n"},
        {"INCRBY n 10", ":11\r\n"},
        {"DECRBY n 20", ":-9\r\n"},
        {"GET n", "$2\r\n-9\r\n"},
        {"SET s abc", "+OK\r\n"},
        {"INCR s", "-ERR value is not an integer or out of range\r\n"},
        {"SET s 01", "+OK\r\n"},
        {"INCR s", "-ERR value is not an integer or out of range\r\n"},
        {"SET big 9223372036854775807", "+OK\r\n"},
        {"INCR big", "-ERR increment or decrement would overflow\r\n"},
        {"MSET a 1 b 2", "+OK\r\n"},
        {"MSET a", "-ERR wrong number of arguments for 'mset' command\r\n"},
        {"MSET a 1 b", "-ERR wrong number of arguments for 'mset' command\r\n"},
        {"MGET a nope b", "*3\r\n$1\r\n1\r\n$-1\r\n$1\r\n2\r\n"},
        {"DBSIZE", ":9\r\n"},  // new t t2 n m s big a b
        {"GET", "-ERR wrong number of arguments for 'get' command\r\n"},
        {"get a b", "-ERR wrong number of arguments for 'get' command\r\n"},
        {"DBSIZE x", "-ERR wrong number of arguments for 'dbsize' command\r\n"},
        {"FOO", "-ERR unknown command 'FOO', with args beginning with: \r\n"},
        {"foo a b", "-ERR unknown command 'foo', with args beginning with: 'a' 'b' \r\n"},
        {command({"x\r\ny", "a\nb"}),
         "-ERR unknown command 'x  y', with args beginning with: 'a b' \r\n"},
        {"CONFIG GET save", "*2\r\n$4\r\nsave\r\n$0\r\n\r\n"},
        {"config get APPENDONLY", "*2\r\n$10\r\nappendonly\r\n$2\r\nno\r\n"},
        {"CONFIG GET *", "*4\r\n$4\r\nsave\r\n$0\r\n\r\n$10\r\nappendonly\r\n$2\r\nno\r\n"},
        {"CONFIG GET s?v* a*", "*4\r\n$4\r\nsave\r\n$0\r\n\r\n$10\r\nappendonly\r\n$2\r\nno\r\n"},
        {"CONFIG GET save save", "*2\r\n$4\r\nsave\r\n$0\r\n\r\n"},
        {"CONFIG GET maxmemory", "*0\r\n"},
        {"CONFIG", "-ERR wrong number of arguments for 'config' command\r\n"},
        {"CONFIG GET", "-ERR wrong number of arguments for 'config|get' command\r\n"},
        {"CONFIG SET save x", "-ERR unknown subcommand 'SET'. Try CONFIG HELP.\r\n"},
        {"COMMAND DOCS", "*0\r\n"},
        {"COMMAND COUNT", ":18\r\n"},
        {"FLUSHALL", "+OK\r\n"},
        {"DBSIZE", ":0\r\n"},
        {"FLUSHALL NOW", "-ERR syntax error\r\n"},
        {"", ""},  // a blank line gets no reply
        {"*0\r\n", ""},
        {"QUIT", "+OK\r\n"},
        {"PING", ""},  // after QUIT: the connection is over, nothing read or answered
    });
  }

  TEST_CASE("kv: unknown command text is cut at 128 characters like Redis's") {
    const std::string a(100, 'a'), b(100, 'b');
    check_exchanges(
        {{"nope " + a + " " + b + " c", "-ERR unknown command 'nope', with args beginning with: '" +
                                            a + "' '" + b.substr(0, 25) + "' \r\n"}});
  }

  TEST_CASE("kv: a malformed request gets Redis's protocol error after earlier replies") {
    kv::store db;
    auto got = serve_script(db, {"PING\r\n*1\r\n$-5\r\n", "PING\r\n"});
    CHECK(got.written == "+PONG\r\n-ERR Protocol error: invalid bulk length\r\n");
    CHECK(got.reads == 1);  // closed: what followed was never read

    got = serve_script(db, {"*1\r\n$100000000000\r\n"});
    CHECK(got.written == "-ERR Protocol error: invalid bulk length\r\n");
    got = serve_script(db, {"*2\r\n$3\r\nGET\r\n:1\r\n"});
    CHECK(got.written == "-ERR Protocol error: expected '$', got ':'\r\n");
    got = serve_script(db, {std::string(70000, 'x')});
    CHECK(got.written == "-ERR Protocol error: too big inline request\r\n");
  }

  TEST_CASE("kv: SET options may repeat but not conflict as in Redis 7.0") {
    check_exchanges({
        {"SET k v EX 10 EX 10", "+OK\r\n"},
        {"SET k v EX abc EX 10", "+OK\r\n"},  // the last value counts
        {"SET k v EX 10 EX abc", "-ERR value is not an integer or out of range\r\n"},
        {"SET k v EX abc FOO", syntax_error},  // options first, the number after
        {"SET k v EX 1 EX 0", invalid_expire},
        {"SET k v EX 0 EX 1", "+OK\r\n"},
        {"SET k v NX NX", "$-1\r\n"},
        {"SET k v XX XX", "+OK\r\n"},
        {"SET k v XX NX", syntax_error},
        {"SET k v EX 10 PX 10", syntax_error},
        {"SET k v EX 10 EXAT 10", syntax_error},
        {"SET k v PXAT 10 EXAT 10", syntax_error},
        {"SET k v PX 10 KEEPTTL", syntax_error},
        {"SET k v KEEPTTL PXAT 5", syntax_error},
        {"SET k v KEEPTTL EX 5", syntax_error},
        {"SET k v KEEPTTL KEEPTTL", "+OK\r\n"},
        {"SET k v GET EX", syntax_error},
        {"SET k v ex 5 px", syntax_error},
        {"SET k v EX 9223372036854775", invalid_expire},  // past int64 once now is added
        {"SET e v EXAT 1", "+OK\r\n"},                    // in the past: gone at once
        {"GET e", "$-1\r\n"},
        {"SET e v EXAT 0", invalid_expire},
        {"SET e v EXAT 9223372036854776", invalid_expire},
        {"SET e v EXAT 9223372036854775", "+OK\r\n"},
        {"GET e", "$1\r\nv\r\n"},
        {"SET e v PXAT 9223372036854775807", "+OK\r\n"},
        {"SET e v PXAT -1", invalid_expire},
    });
  }

  TEST_CASE("kv: SET GET answers the old value and KEEPTTL keeps the deadline") {
    check_exchanges({
        {"SET g v GET", "$-1\r\n"},
        {"SET g v2 get", "$1\r\nv\r\n"},
        {"SET g v3 NX GET", "$2\r\nv2\r\n"},  // not set, and still the old value
        {"GET g", "$2\r\nv2\r\n"},
        {"SET h v XX GET", "$-1\r\n"},
        {"GET h", "$-1\r\n"},
        {"SET g v4 GET GET", "$2\r\nv2\r\n"},
        {"GET g", "$2\r\nv4\r\n"},
    });
    kv::store db;
    const auto deadline = kv::clock::now() + std::chrono::hours(1);
    db.set("t", "v", kv::store::condition::always, deadline);
    auto got = serve_script(db, {"SET t v2 KEEPTTL\r\nSET t v3 KEEPTTL GET\r\nGET t\r\n"});
    CHECK(got.written == "+OK\r\n$2\r\nv2\r\n$2\r\nv3\r\n");
    CHECK(db.deadline("t") == deadline);
    serve_script(db, {"SET t v4\r\nSET fresh v KEEPTTL\r\n"});
    CHECK(db.deadline("t") == kv::never);  // a SET without KEEPTTL drops the TTL
    CHECK(db.deadline("fresh") == kv::never);
    // PXAT: a Unix time, kept as the same distance from now on the steady clock.
    const auto unix_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
    const auto at = "SET p v PXAT " + std::to_string(unix_ms + 3'600'000) + "\r\n";
    got = serve_script(db, {at});
    CHECK(got.written == "+OK\r\n");
    const auto left = *db.deadline("p") - kv::clock::now();
    CHECK(left > std::chrono::minutes(59));
    CHECK(left <= std::chrono::minutes(60));
  }

  TEST_CASE("kv: COMMAND INFO answers redis-server 7.0's entries byte for byte") {
    // Captured from redis-server 7.0.15.
    check_exchanges({
        {"COMMAND INFO get nope",
         "*2\r\n*10\r\n$3\r\nget\r\n:2\r\n*2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n*3\r\n"
         "+@read\r\n+@string\r\n+@fast\r\n*0\r\n*1\r\n*6\r\n$5\r\nflags\r\n*2\r\n+RO\r\n+acces"
         "s\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$"
         "5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec"
         "\r\n*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*0\r\n$"
         "-1\r\n"},
        {"command info SET",
         "*1\r\n*10\r\n$3\r\nset\r\n:-3\r\n*2\r\n+write\r\n+denyoom\r\n:1\r\n:1\r\n:1\r\n*3\r"
         "\n+@write\r\n+@string\r\n+@slow\r\n*0\r\n*1\r\n*8\r\n$5\r\nnotes\r\n$48\r\nRW and AC"
         "CESS due to the optional `GET` argument\r\n$5\r\nflags\r\n*4\r\n+RW\r\n+access\r\n+u"
         "pdate\r\n+variable_flags\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r"
         "\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5"
         "\r\nrange\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r"
         "\nlimit\r\n:0\r\n*0\r\n"},
        {"COMMAND INFO mset",
         "*1\r\n*10\r\n$4\r\nmset\r\n:-3\r\n*2\r\n+write\r\n+denyoom\r\n:1\r\n:-1\r\n:2\r\n*3"
         "\r\n+@write\r\n+@string\r\n+@slow\r\n*2\r\n$26\r\nrequest_policy:multi_shard\r\n$29"
         "\r\nresponse_policy:all_succeeded\r\n*1\r\n*6\r\n$5\r\nflags\r\n*2\r\n+OW\r\n+update"
         "\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5"
         "\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec"
         "\r\n*6\r\n$7\r\nlastkey\r\n:-1\r\n$7\r\nkeystep\r\n:2\r\n$5\r\nlimit\r\n:0\r\n*0\r\n"},
        {"COMMAND INFO quit",
         "*1\r\n*10\r\n$4\r\nquit\r\n:-1\r\n*6\r\n+noscript\r\n+loading\r\n+stale\r\n+fast\r\n"
         "+no_auth\r\n+allow_busy\r\n:0\r\n:0\r\n:0\r\n*2\r\n+@fast\r\n+@connection\r\n*0\r\n*"
         "0\r\n*0\r\n"},
        {"COMMAND INFO config|get get|x",
         "*2\r\n*10\r\n$10\r\nconfig|get\r\n:-3\r\n*4\r\n+admin\r\n+noscript\r\n+loading\r\n"
         "+stale\r\n:0\r\n:0\r\n:0\r\n*3\r\n+@admin\r\n+@slow\r\n+@dangerous\r\n*0\r\n*0\r\n*0"
         "\r\n$-1\r\n"},
    });
  }

  TEST_CASE("kv: every command's COMMAND INFO starts with Redis 7.0's name arity flags keys") {
    struct info {
      std::string name;
      int arity;
      std::vector<std::string> flags;
      int first, last, step;
    };
    const std::vector<info> redis{
        {"get", 2, {"readonly", "fast"}, 1, 1, 1},
        {"set", -3, {"write", "denyoom"}, 1, 1, 1},
        {"incr", 2, {"write", "denyoom", "fast"}, 1, 1, 1},
        {"decr", 2, {"write", "denyoom", "fast"}, 1, 1, 1},
        {"mget", -2, {"readonly", "fast"}, 1, -1, 1},
        {"mset", -3, {"write", "denyoom"}, 1, -1, 2},
        {"del", -2, {"write"}, 1, -1, 1},
        {"exists", -2, {"readonly", "fast"}, 1, -1, 1},
        {"ping", -1, {"fast"}, 0, 0, 0},
        {"echo", 2, {"loading", "stale", "fast"}, 0, 0, 0},
        {"incrby", 3, {"write", "denyoom", "fast"}, 1, 1, 1},
        {"decrby", 3, {"write", "denyoom", "fast"}, 1, 1, 1},
        {"dbsize", 1, {"readonly", "fast"}, 0, 0, 0},
        {"flushall", -1, {"write"}, 0, 0, 0},
        {"command", -1, {"loading", "stale"}, 0, 0, 0},
        {"config", -2, {}, 0, 0, 0},
        {"quit", -1, {"noscript", "loading", "stale", "fast", "no_auth", "allow_busy"}, 0, 0, 0},
        {"info", -1, {"loading", "stale"}, 0, 0, 0},
    };
    std::string all = "*" + std::to_string(redis.size()) + "\r\n";
    for (const auto& c : redis) {
      CAPTURE(c.name);
      std::string want = "*10\r\n" + bulk(c.name) + ":" + std::to_string(c.arity) + "\r\n*" +
                         std::to_string(c.flags.size()) + "\r\n";
      for (const auto& f : c.flags)
        want += "+" + f + "\r\n";
      for (int k : {c.first, c.last, c.step})
        want += ":" + std::to_string(k) + "\r\n";
      kv::store db;
      const auto got = serve_script(db, {"COMMAND INFO " + c.name + "\r\n"}).written;
      CHECK(got.starts_with("*1\r\n" + want));
      all += got.substr(4);
    }
    // COMMAND and COMMAND INFO without names: every command, in the same form.
    kv::store db;
    CHECK(serve_script(db, {"COMMAND\r\n"}).written == all);
    CHECK(serve_script(db, {"COMMAND INFO\r\n"}).written == all);
  }

  TEST_CASE("kv: COMMAND subcommands check arity and COMMAND LIST filters as Redis does") {
    check_exchanges({
        {"COMMAND COUNT x", "-ERR wrong number of arguments for 'command|count' command\r\n"},
        {"COMMAND COUNT", ":18\r\n"},
        {"COMMAND FOO", "-ERR unknown subcommand 'FOO'. Try COMMAND HELP.\r\n"},
        {"CONFIG GET", "-ERR wrong number of arguments for 'config|get' command\r\n"},
        {"COMMAND LIST FILTERBY PATTERN conf*", "*2\r\n$6\r\nconfig\r\n$10\r\nconfig|get\r\n"},
        {"COMMAND LIST FILTERBY ACLCAT DANGEROUS",
         "*3\r\n$8\r\nflushall\r\n$10\r\nconfig|get\r\n$4\r\ninfo\r\n"},
        {"COMMAND LIST FILTERBY ACLCAT @dangerous", "*0\r\n"},
        {"COMMAND LIST FILTERBY MODULE x", "*0\r\n"},
        {"COMMAND LIST FILTERBY FOO x", syntax_error},
        {"COMMAND LIST FILTERBY PATTERN", syntax_error},
        {"COMMAND LIST x", syntax_error},
    });
    kv::store db;
    const auto list = serve_script(db, {"COMMAND LIST\r\n"}).written;
    CHECK(list.starts_with("*23\r\n$3\r\nget\r\n$3\r\nset\r\n"));  // 18 and 5 subcommands
  }

  TEST_CASE("kv: inline commands split on any whitespace and honour quotes as Redis does") {
    check_exchanges({
        {"PING\rPING", "$4\r\nPING\r\n"},
        {"\vPING \f", "+PONG\r\n"},
        {"PING\vx", "-ERR unknown command 'PING\vx', with args beginning with: \r\n"},
        {"ECHO \"a\\x41\\n\"", "$3\r\naA\n\r\n"},
        {"ECHO a\"b c\"", "$4\r\nab c\r\n"},
        {"ECHO 'a\\'b'", "$3\r\na'b\r\n"},
        {"SET \"k 1\" ''", "+OK\r\n"},
        {"MGET 'k 1'", "*1\r\n$0\r\n\r\n"},
    });
    kv::store db;
    auto got = serve_script(db, {"PING\r\nECHO \"abc\r\nPING\r\n"});
    CHECK(got.written == "+PONG\r\n-ERR Protocol error: unbalanced quotes in request\r\n");
  }

  TEST_CASE("kv: keys past their deadline are gone on access (lazy expiry)") {
    kv::store db;
    db.set("old", "v", kv::store::condition::always,
           kv::clock::now() - std::chrono::milliseconds(1));
    db.set("live", "v", kv::store::condition::always, kv::clock::now() + std::chrono::hours(1));
    CHECK(db.size() == 2);  // expired but not yet touched: still counted, as in Redis
    CHECK_FALSE(db.contains("old"));
    CHECK(db.size() == 1);
    CHECK(db.contains("live"));
    CHECK(db.set("old", "new", kv::store::condition::if_absent));
    std::int64_t n = 0;
    db.set("ttl", "5", kv::store::condition::always, kv::clock::now() - std::chrono::seconds(1));
    CHECK(db.incr_by("ttl", 1, n) == kv::store::incr_status::ok);
    CHECK(n == 1);  // the expired 5 no longer counts
  }

  TEST_CASE("kv: parse_int64 follows Redis's string2ll") {
    std::int64_t v = 0;
    CHECK(kv::parse_int64("0", v));
    CHECK(kv::parse_int64("-9223372036854775808", v));
    CHECK(v == std::numeric_limits<std::int64_t>::min());
    for (auto bad : {"", "-", "01", "-0", "+1", " 1", "1 ", "9223372036854775808", "1e3", "0x1"}) {
      CAPTURE(bad);
      CHECK_FALSE(kv::parse_int64(bad, v));
    }
  }

  TEST_CASE("kv: glob patterns as CONFIG GET uses them") {
    CHECK(kv::glob_match("*", "save"));
    CHECK(kv::glob_match("SAVE", "save"));
    CHECK(kv::glob_match("s?ve", "save"));
    CHECK(kv::glob_match("*only", "appendonly"));
    CHECK(kv::glob_match("a*d*y", "appendonly"));
    CHECK(kv::glob_match("[a-s]ave", "save"));
    CHECK(kv::glob_match("[^x]ave", "save"));
    CHECK(kv::glob_match("sav\\e", "save"));
    CHECK_FALSE(kv::glob_match("sav", "save"));
    CHECK_FALSE(kv::glob_match("[^s]ave", "save"));
    CHECK_FALSE(kv::glob_match("*x*", "appendonly"));
    CHECK(kv::glob_match(std::string(1000, '*') + "y", "appendonly"));
  }
}
