// tiny_json_kv_client: stores VALUE under KEY in tiny_json_kv, asks for KEY back and
// prints the reply.
//
//   tiny_json_kv_client [PORT [KEY [VALUE]]]    # default 7000, greeting, hello
//   tiny_json_kv_client 7000 greeting hello     # {"value":"hello"}
//
// [snippet:tiny_json_kv_client]
#include <coronet/coronet.hpp>
#include <coronet/json.hpp>

#include <chrono>
#include <iostream>
#include <stdexcept>
#include <string>

using namespace std::chrono_literals;

asio::awaitable<nlohmann::json> set_then_get(std::uint16_t port, std::string key,
                                             std::string value) {
  auto conn = co_await coronet::connect("127.0.0.1", port, 2s);
  coronet::json_channel<coronet::length_prefixed_codec> ch{std::move(conn)};  // as the server
  // GCC 12 rejects braced JSON in a statement with co_await: build the requests first.
  const nlohmann::json set{{"op", "set"}, {"key", key}, {"value", value}};
  const nlohmann::json get{{"op", "get"}, {"key", key}};
  ch.write(set);
  ch.write(get);  // both requests leave in one write; the replies come back in order
  // read() flushes what write() buffered before it waits; std::nullopt at EOF.
  const auto set_reply = co_await coronet::with_timeout(ch.read(), 5s);
  const auto get_reply = co_await coronet::with_timeout(ch.read(), 5s);
  if (!set_reply || !get_reply) throw std::runtime_error("the server closed the connection");
  if (set_reply->contains("error")) throw std::runtime_error(set_reply->dump());
  co_return *get_reply;
}

int main(int argc, char** argv) {
  const auto port = static_cast<std::uint16_t>(argc > 1 ? std::stoi(argv[1]) : 7000);
  try {
    const auto reply = coronet::sync_wait(
        set_then_get(port, argc > 2 ? argv[2] : "greeting", argc > 3 ? argv[3] : "hello"));
    std::cout << reply.dump() << "\n";
  } catch (const std::exception& e) {  // refused, timed out, closed, an error reply
    std::cerr << "tiny_json_kv_client: " << e.what() << "\n";
    return 1;
  }
}
// [snippet:end]
