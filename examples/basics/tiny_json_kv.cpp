// tiny_json_kv: a key-value store that speaks JSON over length-prefixed frames, on two
// threads. Each request frame gets one reply frame, in order; a frame that is not a
// request gets an error reply and the connection goes on.
//
//   tiny_json_kv [PORT]                # default 7000
//   tiny_json_kv_client 7000 greeting hello   # {"value":"hello"}
//
// A frame is a 4-byte big-endian length, then that many bytes of JSON (the defaults of
// coronet::length_prefixed_codec), so nc cannot talk to it; tiny_json_kv_client can.
// (examples/kv/kv_server.cpp is another program: a Redis-protocol store.)
//
// [snippet:tiny_json_kv]
#include <coronet/coronet.hpp>
#include <coronet/json.hpp>  // CMake: target_link_libraries(app PRIVATE coronet::json)

#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <string>

struct request {  // {"op":"set","key":"k","value":...} or {"op":"get","key":"k"}
  std::string op, key;
  nlohmann::json value;
};
void from_json(const nlohmann::json& j, request& r) {
  j.at("op").get_to(r.op);
  j.at("key").get_to(r.key);
  r.value = j.value("value", nlohmann::json{});
}

// Connections on both worker threads share the map, so it needs a lock.
struct store {
  std::mutex mutex;
  std::map<std::string, nlohmann::json> values;
};

nlohmann::json apply(store& db, const request& r) {
  const std::scoped_lock lock{db.mutex};
  if (r.op == "get") {
    const auto it = db.values.find(r.key);
    if (it == db.values.end()) return {{"error", "no such key"}};
    return {{"value", it->second}};
  }
  if (r.op != "set") return {{"error", "unknown op"}};
  // Security: the frame limit bounds one value; this bounds how many clients can store.
  if (db.values.size() >= 100'000 && !db.values.contains(r.key)) return {{"error", "full"}};
  db.values[r.key] = r.value;
  return {{"ok", true}};
}

asio::awaitable<void> serve(coronet::connection conn, store* db) {
  // Security: a request is at most 64 KiB (the codec's default would allow 16 MiB).
  coronet::json_channel<coronet::length_prefixed_codec> ch{
      std::move(conn), coronet::length_prefixed_codec{{.max_frame = 64 * 1024}}};
  for (;;) {
    std::optional<request> r;
    try {
      r = co_await ch.read<request>();           // std::nullopt at a clean EOF
    } catch (const coronet::message_error& e) {  // not JSON, or not a request
      ch.write(nlohmann::json{{"error", e.what()}});
      continue;  // the frame boundary is intact: the bad frame was skipped
    }
    if (!r) co_return;
    ch.write(apply(*db, *r));  // sent before the next read() waits
  }
}

int main(int argc, char** argv) {
  const auto port = static_cast<std::uint16_t>(argc > 1 ? std::stoi(argv[1]) : 7000);
  store db;
  coronet::server server{{.host = "127.0.0.1", .port = port, .threads = 2}};
  server.listen();
  std::cerr << "listening on " << server.local_endpoint() << "\n";
  server.run([&db](coronet::connection c) { return serve(std::move(c), &db); });
}
// [snippet:end]
