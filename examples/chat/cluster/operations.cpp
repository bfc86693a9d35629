// The cluster's operations for sessions (cluster.hpp): each runs on the cluster's
// thread, where the link lives, and resumes its caller on the caller's own.
#include "cluster/cluster.hpp"

#include "cluster/link.hpp"
#include "cluster/messages.hpp"
#include "cluster/scripts.hpp"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

namespace chat {

using detail::checked;
using detail::sorted_names;
using detail::throw_split;
using messages::lower;

namespace {

// Runs `op` on the cluster's thread and resumes the caller on its own.
template <typename T>
asio::awaitable<T> on(asio::io_context& io, asio::awaitable<T> op) {
  co_return co_await asio::co_spawn(io, std::move(op), asio::use_awaitable);
}

}  // namespace

// The operations below run on the cluster's thread (see on()): they touch the link.

asio::awaitable<bool> cluster::join(std::string name, std::string event,
                                    std::function<void(std::vector<std::string>)> welcome) {
  co_return co_await on(io_, join_here(std::move(name), std::move(event), std::move(welcome)));
}

asio::awaitable<bool> cluster::join_here(std::string name, std::string event,
                                         std::function<void(std::vector<std::string>)> welcome) {
  if (!whole() || !link_->connected()) throw_split();
  const auto seq = next_seq_++;
  pending_[seq].on_echo = std::move(welcome);
  // Named, not braced in the co_await: g++ 12 mishandles braced temporaries there.
  auto args = std::vector<std::string>{lower(name), name};
  co_return co_await change(seq, scripts::join, std::move(args), std::move(event));
}

asio::awaitable<bool> cluster::rename(std::string from, std::string to, std::string event) {
  co_return co_await on(io_, rename_here(std::move(from), std::move(to), std::move(event)));
}

asio::awaitable<bool> cluster::rename_here(std::string from, std::string to, std::string event) {
  if (!whole() || !link_->connected()) throw_split();
  const auto seq = next_seq_++;
  pending_[seq];
  auto args = std::vector<std::string>{lower(from), lower(to), to};
  co_return co_await change(seq, scripts::rename, std::move(args), std::move(event));
}

// Runs a membership script (KEYS: the name registry and this node's set; ARGV: this
// node, `args`, the events channel and the event tagged `seq`); when it made the change
// (1: nil or 0 mean the name is taken), waits for the event to come back on the channel.
asio::awaitable<bool> cluster::change(std::uint64_t seq, std::string_view script,
                                      std::vector<std::string> args, std::string event) {
  const auto& p = options_.prefix;
  std::vector<std::string> command{"EVAL",      std::string{script},         "2",
                                   p + "names", p + "node:" + options_.node, options_.node};
  for (auto& a : args)
    command.push_back(std::move(a));
  command.push_back(p + "events");
  command.push_back(messages::tagged(options_.node, event, seq));
  bool done = false;
  try {
    const auto reply = co_await commands()->command(std::move(command));
    done = checked(reply).integer == 1;
  } catch (...) {
    pending_.erase(seq);
    throw;
  }
  if (done)
    co_await await_echo(seq);  // erases it
  else
    pending_.erase(seq);
  co_return done;
}

asio::awaitable<void> cluster::await_echo(std::uint64_t seq) {
  auto it = pending_.find(seq);
  if (it == pending_.end()) throw_split();
  if (!it->second.echoed) {
    asio::steady_timer wake{io_, options_.command_timeout};
    it->second.wake = &wake;
    co_await wake.async_wait(asio::experimental::as_tuple(asio::use_awaitable));
    it = pending_.find(seq);  // the map may have changed meanwhile
  }
  const bool echoed = it != pending_.end() && it->second.echoed;
  if (it != pending_.end()) pending_.erase(it);
  if (!echoed) throw_split();  // the link broke (or Redis stalled) before it came back
}

void cluster::echoed(std::uint64_t seq, std::vector<std::string> names) {
  auto it = pending_.find(seq);
  if (it == pending_.end() || it->second.echoed) return;  // given up on: handled as a split
  it->second.echoed = true;
  if (it->second.on_echo) it->second.on_echo(std::move(names));
  if (it->second.wake != nullptr) it->second.wake->cancel();
}

asio::awaitable<std::vector<std::string>> cluster::users() {
  co_return co_await on(io_, users_here());
}

asio::awaitable<std::vector<std::string>> cluster::users_here() {
  if (!whole() || !link_->connected()) throw_split();
  if (mirror_.current()) co_return mirror_.names();  // what our members were told
  auto cmd = std::vector<std::string>{"HVALS", options_.prefix + "names"};
  const auto reply = co_await commands()->command(std::move(cmd));
  co_return sorted_names(checked(reply));
}

asio::awaitable<std::optional<located>> cluster::locate(std::string name) {
  co_return co_await on(io_, locate_here(std::move(name)));
}

asio::awaitable<std::optional<located>> cluster::locate_here(std::string name) {
  if (!whole() || !link_->connected()) throw_split();
  auto cmd = std::vector<std::string>{"HGET", options_.prefix + "names", lower(name)};
  const auto reply = co_await commands()->command(std::move(cmd));
  if (checked(reply).is_null()) co_return std::nullopt;
  const auto nl = reply.text.find('\n');
  if (nl == std::string::npos) co_return std::nullopt;
  co_return located{reply.text.substr(0, nl), reply.text.substr(nl + 1)};
}

void cluster::leave(std::string name, std::string event) {
  const auto& p = options_.prefix;
  fire({"EVAL", scripts::leave, "2", p + "names", p + "node:" + options_.node, options_.node,
        lower(name), p + "events", messages::tagged(options_.node, event, 0)});
}

void cluster::say(std::string event) {
  fire({"PUBLISH", options_.prefix + "events", options_.node + "\n" + event});
}

void cluster::whisper(std::string node, std::string name, std::string event) {
  fire({"PUBLISH", options_.prefix + "to:" + node,
        options_.node + "\n" + lower(name) + "\n" + event});
}

// Queued on the cluster's thread in call order (co_spawn posts its start there), and
// each command is handed to the pipelined client when its coroutine first runs, so the
// commands of one session reach Redis in the order the session made them.
void cluster::fire(std::vector<std::string> command) {
  asio::co_spawn(io_, send_ignoring_errors(std::move(command)), asio::detached);
}

asio::awaitable<void> cluster::send_ignoring_errors(std::vector<std::string> command) {
  if (!link_->connected()) co_return;  // split: this instance's members got it directly
  try {
    co_await commands()->command(std::move(command));
  } catch (const std::exception&) {
    // The link broke: run() sees it too and announces the split. The event reached this
    // instance's members directly; the others miss it, as a split promises.
  }
}

}  // namespace chat
