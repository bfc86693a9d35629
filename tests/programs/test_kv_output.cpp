// The kv example's output bound (kv::options::max_output): a reply that would pass it
// closes the connection unsent, however it is produced, while long pipelines of small
// replies still pass.
#include "kv_support.hpp"

#include <string>

using namespace coronet;
using namespace coronet::test;
using namespace coronet::test::kv_support;

namespace {

// A reply sink that records what it is given, for kv::limited_output.
struct recording_sink {
  std::string bytes;
  template <typename T>
  void write(const T& value) {
    resp_codec{}.encode(value, bytes);
  }
  std::size_t queued_bytes() const noexcept { return bytes.size(); }
};

}  // namespace

TEST_SUITE("kv") {
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
}
