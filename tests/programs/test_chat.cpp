// The chat example's protocol, in-process: conversations, modes, errors, ordering under
// load, and slow receivers.
#include "chat_support.hpp"

#include <map>

using namespace coronet;
using namespace coronet::test;
using namespace coronet::test::chat_peers;
using nlohmann::json;

namespace {

asio::awaitable<void> three_users(std::uint16_t port) {
  auto alice = co_await open(port);
  send(*alice, {{"type", "join"}, {"name", "alice"}});
  CHECK(co_await next(alice.get()) ==
        json::parse(R"({"type":"welcome","name":"alice","users":["alice"]})"));

  auto bob = co_await open(port);
  send(*bob, {{"type", "join"}, {"name", "bob"}});
  CHECK(co_await next(bob.get()) ==
        json::parse(R"({"type":"welcome","name":"bob","users":["alice","bob"]})"));
  CHECK(co_await next(alice.get()) == json::parse(R"({"type":"joined","name":"bob"})"));

  auto carol = co_await open(port);
  send(*carol, {{"type", "join"}, {"name", "Carol"}});
  CHECK(co_await next(carol.get()) ==
        json::parse(R"({"type":"welcome","name":"Carol","users":["alice","bob","Carol"]})"));
  CHECK(co_await next(alice.get()) == json::parse(R"({"type":"joined","name":"Carol"})"));
  CHECK(co_await next(bob.get()) == json::parse(R"({"type":"joined","name":"Carol"})"));

  send(*alice, {{"type", "say"}, {"text", "hi all"}});
  const auto hi = json::parse(R"({"type":"message","from":"alice","text":"hi all"})");
  for (auto* p : {alice.get(), bob.get(), carol.get()})
    CHECK(co_await next(p) == hi);

  send(*bob, {{"type", "whisper"}, {"to", "carol"}, {"text", "psst"}});
  const auto psst = json::parse(R"({"type":"whisper","from":"bob","to":"Carol","text":"psst"})");
  CHECK(co_await next(carol.get()) == psst);
  CHECK(co_await next(bob.get()) == psst);

  send(*carol, {{"type", "who"}});
  CHECK(co_await next(carol.get()) ==
        json::parse(R"({"type":"users","users":["alice","bob","Carol"]})"));

  send(*alice, {{"type", "nick"}, {"name", "alice2"}});
  const auto renamed = json::parse(R"({"type":"renamed","from":"alice","to":"alice2"})");
  // alice saw no whisper: her next event is the rename.
  for (auto* p : {alice.get(), bob.get(), carol.get()})
    CHECK(co_await next(p) == renamed);

  send(*bob, {{"type", "leave"}});
  CHECK(co_await closed(bob.get()));
  const auto bob_left = json::parse(R"({"type":"left","name":"bob"})");
  CHECK(co_await next(alice.get()) == bob_left);
  CHECK(co_await next(carol.get()) == bob_left);

  carol->close();  // a disconnect is a leave too
  CHECK(co_await next(alice.get()) == json::parse(R"({"type":"left","name":"Carol"})"));
  send(*alice, {{"type", "who"}});
  CHECK(co_await next(alice.get()) == json::parse(R"({"type":"users","users":["alice2"]})"));
}

asio::awaitable<void> text_and_json(std::uint16_t port) {
  auto tom = co_await open(port);
  say_line(*tom, "bad name!");
  CHECK((co_await next_text(tom.get())).starts_with("! invalid_name: "));
  say_line(*tom, "tom");  // the next line is tried as a name
  CHECK(co_await next_text(tom.get()) == "* welcome, tom! online: tom");

  auto jay = co_await joined_json(port, "jay");
  CHECK(co_await next_text(tom.get()) == "* jay joined");

  say_line(*tom, "hello jay");
  CHECK(co_await next_text(tom.get()) == "<tom> hello jay");
  CHECK(co_await next(jay.get()) ==
        json::parse(R"({"type":"message","from":"tom","text":"hello jay"})"));

  send(*jay, {{"type", "say"}, {"text", "hi tom\nsecond line"}});
  CHECK(co_await next(jay.get()) ==
        json::parse(R"({"type":"message","from":"jay","text":"hi tom\nsecond line"})"));
  CHECK(co_await next_text(tom.get()) == "<jay> hi tom second line");

  say_line(*tom, "/msg jay psst");
  CHECK(co_await next(jay.get()) ==
        json::parse(R"({"type":"whisper","from":"tom","to":"jay","text":"psst"})"));
  CHECK(co_await next_text(tom.get()) == "*tom* (whisper to jay) psst");

  send(*jay, {{"type", "whisper"}, {"to", "TOM"}, {"text", "back"}});
  CHECK(co_await next_text(tom.get()) == "*jay* (whisper) back");
  co_await next(jay.get());

  say_line(*tom, "/who");
  CHECK(co_await next_text(tom.get()) == "* online: jay, tom");
  say_line(*tom, "/msg nobody hi");
  CHECK((co_await next_text(tom.get())).starts_with("! no_such_user: "));
  say_line(*tom, "/nick jay");
  CHECK((co_await next_text(tom.get())).starts_with("! name_taken: "));
  say_line(*tom, "/nick tommy");
  CHECK(co_await next_text(tom.get()) == "* tom is now known as tommy");
  CHECK(co_await next(jay.get()) == json::parse(R"({"type":"renamed","from":"tom","to":"tommy"})"));
  say_line(*tom, "/dance");
  CHECK((co_await next_text(tom.get())).starts_with("! unknown_type: "));
  say_line(*tom, "/quit");
  CHECK(co_await closed(tom.get()));
  CHECK(co_await next(jay.get()) == json::parse(R"({"type":"left","name":"tommy"})"));
}

asio::awaitable<void> expect_error(peer* p, std::string code) {
  auto e = co_await next(p);
  CHECK(e["type"] == "error");
  CHECK(e["code"] == code);
  CHECK(e["message"].is_string());
}

asio::awaitable<void> every_error(std::uint16_t port) {
  auto taken = co_await joined_json(port, "Dana");
  auto p = co_await open(port);
  send(*p, {{"type", "say"}, {"text", "too early"}});
  co_await expect_error(p.get(), "not_joined");
  send(*p, {{"type", "join"}, {"name", ""}});
  co_await expect_error(p.get(), "invalid_name");
  send(*p, {{"type", "join"}, {"name", std::string(33, 'a')}});
  co_await expect_error(p.get(), "invalid_name");
  send(*p, {{"type", "join"}, {"name", "dana"}});
  co_await expect_error(p.get(), "name_taken");
  send(*p, {{"type", "join"}, {"name", 42}});
  co_await expect_error(p.get(), "bad_message");
  say_line(*p, "{\"type\":\"join\"");  // not JSON
  co_await expect_error(p.get(), "bad_message");
  send(*p, {{"type", "fly"}});
  co_await expect_error(p.get(), "unknown_type");
  send(*p, {{"type", "join"}, {"name", "eve"}});
  CHECK((co_await next(p.get()))["type"] == "welcome");
  send(*p, {{"type", "join"}, {"name", "eve2"}});
  co_await expect_error(p.get(), "already_joined");
  send(*p, {{"type", "whisper"}, {"to", "nobody"}, {"text", "x"}});
  co_await expect_error(p.get(), "no_such_user");
  send(*p, {{"type", "whisper"}, {"to", "dana"}});
  co_await expect_error(p.get(), "bad_message");
  send(*p, {{"type", "say"}, {"text", std::string(2001, 'x')}});
  co_await expect_error(p.get(), "too_large");
  send(*p, {{"type", "say"}, {"text", std::string(2000, 'x')}});  // exactly the limit is fine
  CHECK((co_await next(p.get()))["type"] == "message");
  send(*p, {{"type", "nick"}, {"name", "no spaces"}});
  co_await expect_error(p.get(), "invalid_name");
  // Still alive after all that.
  send(*p, {{"type", "who"}});
  CHECK((co_await next(p.get()))["type"] == "users");
  // A line over 8 KiB: too_large, then the server hangs up.
  say_line(*p, std::string(9000, 'y'));
  co_await expect_error(p.get(), "too_large");
  CHECK(co_await closed(p.get()));
}

}  // namespace

TEST_SUITE("chat") {
  TEST_CASE("a three-user conversation in JSON mode message by message") {
    chat_fixture fx;
    run(three_users(fx.port()));
  }

  TEST_CASE("a text-mode user and a JSON user talk to each other") {
    chat_fixture fx;
    run(text_and_json(fx.port()));
  }

  TEST_CASE("every error code and the connection lives on until a line is too long") {
    chat_fixture fx;
    run(every_error(fx.port()));
  }
}

// ---- load: ordering and slow receivers -------------------------------------------

namespace {

struct load_probe {
  std::size_t senders = 0;
  std::size_t per_sender = 0;
  std::size_t complete = 0;  // receivers that saw every message in order
  std::size_t out_of_order = 0;
};

// The value of a string field in one of the server's compact event lines (no escapes
// in the names and numbers used here): parsing 600 000 events with a full JSON parser
// under ASan would dominate the test's run time.
std::string_view field(std::string_view line, std::string_view name) {
  const std::string key = "\"" + std::string(name) + "\":\"";
  auto at = line.find(key);
  if (at == std::string_view::npos) return {};
  at += key.size();
  return line.substr(at, line.find('"', at) - at);
}

// Reads until `expected` messages arrived; checks each sender's sequence.
asio::awaitable<void> receive_all(peer* p, std::size_t expected, load_probe* probe) {
  std::map<std::string, long, std::less<>> last;
  std::size_t got = 0;
  while (got < expected) {
    auto line = co_await p->read();  // bounded by run()'s watchdog, not per read
    if (!line) FAIL("connection closed while messages were expected");
    if (field(*line, "type") != "message") continue;
    const std::string from{field(*line, "from")};
    const long seq = std::stol(std::string{field(*line, "text")});
    auto [it, fresh] = last.try_emplace(from, -1);
    if (seq != it->second + 1) ++probe->out_of_order;
    it->second = seq;
    ++got;
  }
  if (last.size() == probe->senders) ++probe->complete;
}

asio::awaitable<void> send_all(peer* p, std::size_t count) {
  for (std::size_t i = 0; i < count; ++i) {
    const std::string line = json{{"type", "say"}, {"text", std::to_string(i)}}.dump();
    co_await p->send(std::string_view{line});  // waits when the server is behind
  }
}

asio::awaitable<void> ordering(std::uint16_t port, std::size_t senders, std::size_t receivers,
                               std::size_t per_sender, load_probe* probe) {
  probe->senders = senders;
  probe->per_sender = per_sender;
  std::vector<std::unique_ptr<peer>> all;
  for (std::size_t i = 0; i < senders + receivers; ++i)
    all.push_back(co_await joined_json(port, (i < senders ? "s" : "r") + std::to_string(i)));
  auto ex = co_await asio::this_coro::executor;
  const std::size_t expected = senders * per_sender;
  std::size_t finished = 0;
  asio::steady_timer done{ex, std::chrono::steady_clock::time_point::max()};
  auto on_done = [&](std::exception_ptr e) {
    if (e) std::rethrow_exception(e);
    if (++finished == all.size() + senders) done.cancel();
  };
  for (std::size_t i = 0; i < all.size(); ++i) {
    asio::co_spawn(ex, receive_all(all[i].get(), expected, probe), on_done);
    if (i < senders) asio::co_spawn(ex, send_all(all[i].get(), per_sender), on_done);
  }
  co_await done.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
}

}  // namespace

// Both run the server on two threads, so both are in "threads" (run again under TSan).
TEST_SUITE("threads") {
  TEST_CASE("10 000 messages from 10 senders reach 50 receivers complete and in order") {
    // Receivers here all share one test thread, so give them room: this test is about
    // order and completeness; dropping slow receivers has its own test below.
    chat_fixture fx{{.max_queued = 64 << 20}, 2};
    load_probe probe;
    run(ordering(fx.port(), 10, 50, 1000, &probe), 120s);
    CHECK(probe.out_of_order == 0);
    CHECK(probe.complete == 60);  // the senders receive everything too
  }

  TEST_CASE("chat across two server threads keeps each sender's order") {
    chat_fixture fx{{.max_queued = 64 << 20}, 2};
    load_probe probe;
    run(ordering(fx.port(), 3, 5, 200, &probe), 120s);
    CHECK(probe.out_of_order == 0);
    CHECK(probe.complete == 8);
  }
}

namespace {

asio::awaitable<void> slow_receiver(std::uint16_t port, chat::room* room, std::size_t* fast_got) {
  auto slow = co_await joined_json(port, "sloth");
  slow->stream().socket().set_option(asio::socket_base::receive_buffer_size(4096));
  auto fast = co_await joined_json(port, "hare");
  auto talker = co_await joined_json(port, "talker");
  co_await next(slow.get());  // hare joined
  co_await next(slow.get());  // talker joined
  co_await next(fast.get());  // talker joined
  // Flood until the server gives up on the sloth; hare keeps reading throughout.
  const std::string text(1900, 'm');
  const std::string line = json{{"type", "say"}, {"text", text}}.dump();
  std::size_t sent = 0;
  while (room->disconnected_slow() == 0 && sent < 20000) {
    co_await talker->send(std::string_view{line});
    ++sent;
    for (auto* p : {fast.get(), talker.get()}) {
      auto e = co_await next(p);
      if (p == fast.get() && e["type"] == "message") ++*fast_got;
    }
  }
  CHECK(room->disconnected_slow() == 1);
  // The others keep chatting: hare sees sloth leave, then the next message.
  json e;
  do
    e = co_await next(fast.get());
  while (e["type"] == "message" && (++*fast_got, true));
  CHECK(e == json::parse(R"({"type":"left","name":"sloth"})"));
  send(*talker, {{"type", "say"}, {"text", "still here"}});
  CHECK((co_await next(fast.get()))["text"] == "still here");
}

}  // namespace

TEST_SUITE("chat") {
  TEST_CASE("a receiver that never reads is disconnected while the others keep chatting") {
    chat_fixture fx{{.max_queued = 64 * 1024}};
    std::size_t fast_got = 0;
    run(slow_receiver(fx.port(), &fx.room, &fast_got), 120s);
    CHECK(fast_got > 0);
  }
}
