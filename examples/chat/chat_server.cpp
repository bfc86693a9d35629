// chat_server: a multi-user chat over newline-delimited JSON or plain text.
//
//   chat_server                          # 127.0.0.1:7777
//   chat_client --name alice             # JSON client, or:  nc 127.0.0.1 7777
//   chat_server --port 7001 --redis 127.0.0.1:6379   # one room across instances
//   CORONET_REDIS_PASSWORD=... chat_server --redis redis://alice@10.0.0.5:6379
//   chat_server --web 127.0.0.1:8080     # and in a browser: http://127.0.0.1:8080/
//   chat_server --web 127.0.0.1:8080 --web-origin https://chat.example.com   # behind a proxy
#include "../common/command_line.hpp"
#include "../common/fatal.hpp"
#include "../common/log.hpp"
#include "../common/server_flags.hpp"
#include "cluster/cluster.hpp"
#include "room/room.hpp"
#include "transports/line_session.hpp"
#include "transports/web_session.hpp"

#include <coronet/core/server.hpp>
#include <coronet/redis/client_options.hpp>

#include <atomic>
#include <cstdlib>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

// A second server's run() on a thread of its own (chat_server --web). Stopped and joined
// on every way out of main's scope, an exception included: a std::thread destroyed
// while joinable would end the process. If run() fails, `on_failure` is called (to stop
// the main server) and failed() says so.
class server_thread {
 public:
  server_thread(coronet::server& s, coronet::server::handler_type handler,
                std::function<void()> on_failure)
      : server_(s) {
    thread_ = std::thread([this, h = std::move(handler), f = std::move(on_failure)]() mutable {
      try {
        server_.run(std::move(h));
      } catch (const std::exception& e) {
        examples::report_error("chat_server", "--web: ", e.what());
        failed_ = true;
        f();
      }
    });
  }
  server_thread(const server_thread&) = delete;
  server_thread& operator=(const server_thread&) = delete;
  ~server_thread() { stop(); }

  void stop() {
    if (!thread_.joinable()) return;
    server_.stop();
    thread_.join();
  }
  bool failed() const noexcept { return failed_; }

 private:
  coronet::server& server_;
  std::atomic<bool> failed_{false};
  std::thread thread_;  // last: started once the members above exist
};

// --redis: HOST:PORT or redis://[user[:password]@]host[:port]. The password, when the
// URL has none, comes from CORONET_REDIS_PASSWORD: unlike the command line, the
// environment is not shown by `ps` to other users.
coronet::redis::url redis_address(const std::string& text) {
  coronet::redis::url where;
  if (text.find("://") != std::string::npos) {
    try {
      where = coronet::redis::parse_url(text);
    } catch (const std::invalid_argument& e) {
      throw std::runtime_error(std::string{"--redis: "} + e.what());
    }
  } else {
    const auto hp = examples::parse_host_port(text, "--redis");
    where.host = hp.host;
    where.port = hp.port;
  }
  if (const char* password = std::getenv("CORONET_REDIS_PASSWORD");
      password != nullptr && where.password.empty())
    where.password = password;
  if (!where.username.empty() && where.password.empty())
    throw std::runtime_error("--redis: the user " + where.username +
                             " needs a password: set CORONET_REDIS_PASSWORD");
  return where;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "A chat room. Clients speak newline-delimited JSON or plain text\n"
      "(the first line decides); see docs/chat.md.",
      "chat_server"};
  examples::standard_options(app);
  examples::listen_flags address{.port = 7777};
  std::size_t max_queue = 262144;
  address.add(app);
  app.add_option("--max-queue", max_queue, "bytes queued for one receiver before it is dropped")
      ->type_name("BYTES")
      ->check(CLI::Range(std::size_t{1024}, std::size_t{1} << 30));
  // Security: joins are announced to everyone (with --redis, through Redis to every
  // instance), so one client joining and leaving in a loop would keep the whole room busy.
  chat::join_limits joins;
  app.add_option("--max-joins-per-connection", joins.per_connection,
                 "join attempts one connection may make per minute (0: no limit)")
      ->type_name("N");
  app.add_option("--max-joins-per-address", joins.per_address,
                 "join attempts per minute from one client address, IPv6 per /64; behind a "
                 "proxy use --proxy-protocol so it is the client's (0: no limit)")
      ->type_name("N");
  app.add_flag("--limit-loopback-joins", joins.limit_loopback,
               "count joins from loopback addresses per address too (by default they are "
               "exempt: local tests, benchmarks)");
  std::string redis;
  std::string node;
  app.add_option("--redis", redis,
                 "share the room with every chat_server using this Redis: HOST:PORT or "
                 "redis://[USER[:PASSWORD]@]HOST[:PORT]; the password better in the "
                 "environment, CORONET_REDIS_PASSWORD (docs/scale-out.md)")
      ->type_name("ADDRESS");
  app.add_option("--node", node,
                 "this server's name in the cluster, unique among them (default: the "
                 "address it listens on)")
      ->type_name("NAME");
  std::string web;
  auto* web_option =
      app.add_option("--web", web,
                     "also serve the chat in a browser on this address: the page at /, the "
                     "JSON protocol over WebSocket at /chat (port 0: any free port)")
          ->type_name("HOST:PORT");
  std::vector<std::string> web_origins;
  app.add_option("--web-origin", web_origins,
                 "the page may also be reached at this origin, e.g. behind a proxy "
                 "(repeatable); --web already allows its own address and localhost")
      ->type_name("ORIGIN")
      ->allow_extra_args(false)
      ->needs(web_option)
      ->check(CLI::Validator(
          [](const std::string& text) {
            return chat::web_origin(text) ? std::string{}
                                          : "expected http(s)://HOST[:PORT], got '" + text + "'";
          },
          "ORIGIN"));
  examples::server_flags serving;  // --tls-*, --proxy-protocol, --trusted-proxy
  serving.add(app);
  examples::parse(app, argc, argv);

  try {
    chat::room room{{.max_queued = max_queue, .joins = joins}};
    auto options = address.options();
    serving.apply(options);
    coronet::server server{options};
    examples::reload_on_hangup reload{serving.tls.context()};
    server.listen();
    const auto ep = server.local_endpoint();
    std::unique_ptr<chat::cluster> cluster;
    if (!redis.empty()) {
      const auto where = redis_address(redis);
      chat::cluster_options c;
      c.host = where.host;
      c.port = where.port;
      c.username = where.username;
      c.password = where.password;
      c.node = node.empty() ? ep.address().to_string() + ":" + std::to_string(ep.port()) : node;
      cluster = std::make_unique<chat::cluster>(c, &room);
      cluster->start();  // throws when Redis cannot be reached: a clear message, exit 1
      room.attach(cluster.get());
      // Not the flag's text: it may hold a password.
      const auto shown =
          (where.host.find(':') != std::string::npos ? "[" + where.host + "]" : where.host) + ":" +
          std::to_string(where.port);
      examples::log_event(
          examples::level::info, "cluster", {{"redis", shown}, {"node", cluster->node()}},
          "chat_server joined the room at Redis ", shown, " as node ", cluster->node());
    }
    examples::log_event(
        examples::level::info, "listening",
        {{"address", ep}, {"tls", serving.tls.enabled()}, {"threads", server.options().threads}},
        "chat_server", serving.scheme(), " listening on ", ep, " with ", server.options().threads,
        " thread(s)");
    examples::log("join with:  chat_client --name you --port ", ep.port(), "   or:  nc ",
                  ep.address(), " ", ep.port());
    // --web: a second server on its own address and threads, with the same TLS, PROXY
    // and logging settings, whose members join the same room.
    chat::web_options web_settings;
    web_settings.page = chat::web_page();
    std::unique_ptr<coronet::server> web_server;
    std::unique_ptr<server_thread> web_thread;  // runs web_server->run(); after web_server
    if (!web.empty()) {
      const auto where = examples::parse_host_port(web, "--web");
      coronet::server_options w{.host = where.host, .port = where.port, .threads = address.threads};
      serving.apply(w);
      web_server = std::make_unique<coronet::server>(w);
      // listen() binds now (an address in use fails here, in this thread) and, like the
      // chat port's, catches SIGINT and SIGTERM from here on: both servers drain at the
      // same time, the browsers getting their close frame 1001 while the nc members get
      // their goodbye.
      web_server->listen();
      // Security (DNS rebinding): only these names get the page and the socket.
      chat::allow_web_names(web_settings, web_server->local_endpoint(), serving.tls.enabled(),
                            web_origins);
      web_thread = std::make_unique<server_thread>(
          *web_server,
          [&room, &web_settings](coronet::connection c) {
            return chat::web_session(std::move(c), &room, &web_settings);
          },
          [&server] { server.stop(); });
      const auto wep = web_server->local_endpoint();
      const std::string url = std::string{serving.tls.enabled() ? "https" : "http"} + "://" +
                              wep.address().to_string() + ":" + std::to_string(wep.port()) + "/";
      examples::log_event(examples::level::info, "web", {{"address", wep}, {"url", url}},
                          "chat page on ", url, " (WebSocket at /chat)");
    }
    // One endpoint for both ports: the browser members' connections count too.
    auto metrics = serving.serve_metrics(server, web_server.get());
    server.run([&room](coronet::connection c) { return chat::session(std::move(c), &room); });
    bool web_failed = false;
    if (web_thread) {
      // Stopping already (the signal reached it too); stop() covers a run() that ended
      // another way.
      web_thread->stop();
      web_failed = web_thread->failed();
    }
    // Every session has left (and told the cluster); now this server leaves it too.
    if (cluster) cluster->stop();
    examples::log_event(examples::level::info, "stopped", {}, "chat_server stopped");
    if (web_failed) return examples::exit_failure;  // reported by server_thread
  } catch (const std::exception& e) {
    return examples::fatal("chat_server", e.what());
  }
}
