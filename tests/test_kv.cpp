// The kv example (examples/kv, linked as coronet_kv): Redis semantics and error texts
// byte-exact over an in-memory stream, pipelining over a real socket, and the real
// redis-cli and redis-benchmark against an in-process server.
#include "script_stream.hpp"
#include "support.hpp"

#include <kv.hpp>

#include <coronet/framed.hpp>
#include <coronet/resp_codec.hpp>

#include <doctest/doctest.h>

#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <limits>
#include <optional>
#include <string>
#include <vector>

using namespace coronet;
using namespace coronet::test;
using namespace std::string_literals;

namespace {

struct served {
  std::string written;
  std::size_t writes = 0;
  std::size_t reads = 0;
};

// Runs kv's connection loop over a scripted stream delivering `chunks`.
served serve_script(kv::store& db, std::vector<std::string> chunks, framed_options options = {},
                    kv::options kv_options = {}) {
  asio::io_context io;
  framed<resp_codec, script_stream> f{script_stream{io.get_executor(), std::move(chunks)},
                                      resp_codec{}, options};
  bool done = false;
  asio::co_spawn(io, kv::serve_framed(&f, &db, kv_options), [&done](std::exception_ptr e) {
    done = true;
    if (e) std::rethrow_exception(e);
  });
  io.run_for(std::chrono::seconds(20));
  REQUIRE_MESSAGE(done, "kv::serve_framed did not finish");
  return {f.stream().written, f.write_count(), f.read_count()};
}

std::string command(std::initializer_list<std::string_view> args) {
  std::string out;
  resp_codec{}.encode(resp::command{args}, out);
  return out;
}

struct exchange {
  std::string request;  // inline form; or raw RESP when it starts with '*'
  std::string reply;
};

std::string bulk(std::string_view s) {
  return "$" + std::to_string(s.size()) + "\r\n" + std::string(s) + "\r\n";
}

// Sends all requests in one chunk; expects exactly the concatenated replies.
void check_exchanges(const std::vector<exchange>& script) {
  kv::store db;
  std::string in, want;
  for (const auto& e : script) {
    in += e.request.starts_with("*") ? e.request : e.request + "\r\n";
    want += e.reply;
  }
  auto got = serve_script(db, {in});
  // Compare reply by reply so a failure names the command.
  std::size_t at = 0;
  for (const auto& e : script) {
    CAPTURE(e.request);
    REQUIRE(got.written.size() >= at);
    CHECK(got.written.substr(at, e.reply.size()) == e.reply);
    at += e.reply.size();
  }
  CHECK(got.written == want);
}

struct run_result {
  int status = -1;
  std::string output;
};

// Runs a shell command, returning its exit status and output (stdout and stderr).
run_result shell(const std::string& cmd) {
  run_result r;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  REQUIRE(p != nullptr);
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;)
    r.output.append(buf, n);
  const int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

// An in-process kv server on 127.0.0.1, any free port.
struct kv_fixture {
  explicit kv_fixture(std::size_t threads = 1, kv::options opt = {})
      : srv{{.host = "127.0.0.1", .threads = threads}} {
    srv.start([this, opt](connection c) { return kv::serve(std::move(c), &db, opt); });
  }
  ~kv_fixture() {
    srv.stop();
    srv.wait();
  }
  kv_fixture(const kv_fixture&) = delete;
  kv_fixture& operator=(const kv_fixture&) = delete;

  std::uint16_t port() const { return srv.local_endpoint().port(); }
  std::string cli() const {
    // `timeout` bounds the test even if the server never answered.
    return "timeout 20 redis-cli -h 127.0.0.1 -p " + std::to_string(port()) + " ";
  }

  kv::store db;
  server srv;
};

// A reply sink that records what it is given, for kv::limited_output.
struct recording_sink {
  std::string bytes;
  template <typename T>
  void write(const T& value) {
    resp_codec{}.encode(value, bytes);
  }
  std::size_t queued_bytes() const noexcept { return bytes.size(); }
};

// `MGET key key ... key` (n times), inline.
std::string mget_inline(std::string_view key, int n) {
  std::string line = "MGET";
  for (int i = 0; i < n; ++i)
    (line += ' ') += key;
  return line + "\r\n";
}

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
        {"COMMAND COUNT", ":17\r\n"},
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

  TEST_CASE("kv: a reply that would pass max_output closes the connection unsent") {
    kv::store db;
    const std::string value(16 * 1024, 'v');
    db.set("big", value);
    const kv::options opt{.max_output = 1024 * 1024};
    // Under the limit: answered in full.
    auto got = serve_script(db, {mget_inline("big", 10)}, {}, opt);
    std::string want = "*10\r\n";
    for (int i = 0; i < 10; ++i)
      want += bulk(value);
    CHECK(got.written == want);
    // 1500 x 16 KiB = 24 MB asked for by one 6 KB request: the connection is closed
    // with none of it sent, and nothing after it read.
    got = serve_script(db, {"PING\r\n", mget_inline("big", 1500), "PING\r\n"}, {}, opt);
    CHECK(got.written.size() < opt.max_output);
    CHECK(got.written == "+PONG\r\n");
    CHECK(got.reads == 2);
    // One value larger than the limit, and replies still queued before it: all dropped.
    db.set("huge", std::string(2 * 1024 * 1024, 'h'));
    got = serve_script(db, {"PING\r\nGET huge\r\nPING\r\n"}, {}, opt);
    CHECK(got.written.empty());
  }

  TEST_CASE("kv: a small max_output still answers a long pipeline of small replies") {
    // Replies waiting for the end of a batch do not count against the client: they are
    // flushed at half the limit at the latest, so 7000 bytes of PONGs pass a 4096 limit.
    std::string in, want;
    for (int i = 0; i < 1000; ++i) {
      in += "PING\r\n";
      want += "+PONG\r\n";
    }
    kv::store db;
    auto got = serve_script(db, {in}, {.read_buffer_size = 64 * 1024}, {.max_output = 4096});
    CHECK(got.written == want);
  }

  TEST_CASE("kv: limited_output stops a reply at the limit while it is produced") {
    kv::store db;
    db.set("big", std::string(1000, 'v'));
    const std::string in = mget_inline("big", 100);  // a 100 KB reply
    resp_codec codec;
    auto r = codec.decode({in.data(), in.size()});
    REQUIRE(r.status == decode_status::ready);
    recording_sink sink;
    kv::limited_output out{sink, 10'000};
    kv::execute(db, r.frame, out);
    CHECK(out.exceeded());
    CHECK(sink.bytes.size() <= 10'000);  // never more than the limit held at once
    CHECK(sink.bytes.size() > 9'000);    // and it was the limit that stopped it
    out.write(resp::simple{"OK"});       // refused too, once over
    CHECK(sink.bytes.size() <= 10'000);
  }

  TEST_CASE("kv: over a socket a client whose reply passes max_output is disconnected") {
    kv_fixture kv{1, {.max_output = 1024 * 1024}};
    kv.db.set("big", std::string(64 * 1024, 'v'));
    // 1000 x 64 KiB = 64 MB of reply; the client sends and then only reads.
    auto client = [](std::uint16_t port, std::string request, std::size_t* received,
                     bool* ended) -> asio::awaitable<void> {
      auto conn = co_await connect("127.0.0.1", port);
      co_await conn.write(asio::buffer(request));
      conn.shutdown_send();
      char buf[65536];
      try {
        while (auto n = co_await conn.read_some(asio::buffer(buf)))
          *received += n;
      } catch (const std::system_error&) {  // a reset is an end too
      }
      *ended = true;
    };
    std::size_t received = 0;
    bool ended = false;
    run(client(kv.port(), mget_inline("big", 1000), &received, &ended));
    CHECK(ended);
    CHECK(received < 1024 * 1024);
    // The server is fine and serves others.
    auto r = shell(kv.cli() + "PING");
    CHECK(r.output == "PONG\n");
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
        {"COMMAND COUNT", ":17\r\n"},
        {"COMMAND FOO", "-ERR unknown subcommand 'FOO'. Try COMMAND HELP.\r\n"},
        {"CONFIG GET", "-ERR wrong number of arguments for 'config|get' command\r\n"},
        {"COMMAND LIST FILTERBY PATTERN conf*", "*2\r\n$6\r\nconfig\r\n$10\r\nconfig|get\r\n"},
        {"COMMAND LIST FILTERBY ACLCAT DANGEROUS", "*2\r\n$8\r\nflushall\r\n$10\r\nconfig|get\r\n"},
        {"COMMAND LIST FILTERBY ACLCAT @dangerous", "*0\r\n"},
        {"COMMAND LIST FILTERBY MODULE x", "*0\r\n"},
        {"COMMAND LIST FILTERBY FOO x", syntax_error},
        {"COMMAND LIST FILTERBY PATTERN", syntax_error},
        {"COMMAND LIST x", syntax_error},
    });
    kv::store db;
    const auto list = serve_script(db, {"COMMAND LIST\r\n"}).written;
    CHECK(list.starts_with("*22\r\n$3\r\nget\r\n$3\r\nset\r\n"));  // 17 and 5 subcommands
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
