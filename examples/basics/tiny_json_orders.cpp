// tiny_json_orders: takes orders as newline-delimited JSON and answers each with one
// line of JSON; a line that is not an order gets an error reply and the connection goes on.
//
//   tiny_json_orders [PORT]                                        # default 7000
//   echo '{"item":"tea","quantity":2}' | nc -q1 127.0.0.1 7000
//   {"accepted":{"item":"tea","quantity":2}}
//
// [snippet:tiny_json_orders]
#include <coronet/coronet.hpp>
#include <coronet/json.hpp>  // CMake: target_link_libraries(app PRIVATE coronet::json)

#include <iostream>
#include <optional>
#include <string>

struct order {
  std::string item;
  int quantity = 0;
};
void to_json(nlohmann::json& j, const order& o) {
  j = {{"item", o.item}, {"quantity", o.quantity}};
}
void from_json(const nlohmann::json& j, order& o) {
  j.at("item").get_to(o.item);
  j.at("quantity").get_to(o.quantity);
}

asio::awaitable<void> shop(coronet::connection conn) {
  coronet::json_channel<> ch{std::move(conn)};  // one JSON message per line
  for (;;) {
    std::optional<order> o;
    try {
      o = co_await ch.read<order>();             // std::nullopt at a clean EOF
    } catch (const coronet::message_error& e) {  // not JSON, or not an order
      ch.write(nlohmann::json{{"error", e.what()}, {"offset", e.offset()}});
      continue;  // the bad line was skipped
    }
    if (!o) co_return;
    ch.write(nlohmann::json{{"accepted", *o}});  // sent before the next read() waits
  }
}

int main(int argc, char** argv) {
  const auto port = static_cast<std::uint16_t>(argc > 1 ? std::stoi(argv[1]) : 7000);
  coronet::server server{{.host = "127.0.0.1", .port = port}};
  server.listen();
  std::cerr << "listening on " << server.local_endpoint() << "\n";
  server.run(shop);
}
// [snippet:end]
