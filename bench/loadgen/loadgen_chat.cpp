// coronet-loadgen --mode chat: what each member sends and how it checks what it
// receives (loadgen_chat.hpp says what the mode measures; loadgen_chat_run.cpp runs the
// phases and reports).
#include "loadgen_chat.hpp"

namespace loadgen {

void wake_coordinator(chat_run* run) {
  asio::post(run->workers[0]->io, [run] { run->coordinator->cancel(); });
}

void fail(chat_run* run, chat_member* m, std::string why) {
  if (run->stop.load()) return;
  if (m->error.empty()) m->error = std::move(why);
  run->failed = true;
  wake_coordinator(run);
}

namespace {

// Logs the first few protocol errors of the run, not thousands.
void complain(chat_run* run, const chat_member* m, const std::string& what) {
  if (run->errors_logged.fetch_add(1) < 5)
    std::cerr << "coronet-loadgen: " << m->name << ": " << what << "\n";
}

// The member index of one of this run's names, or -1.
long index_of(const chat_run* run, std::string_view name) {
  if (!name.starts_with(run->tag) || name.size() < run->tag.size() + 2) return -1;
  const char kind = name[run->tag.size()];
  std::size_t n = 0;
  const char* first = name.data() + run->tag.size() + 1;
  const char* last = name.data() + name.size();
  auto [p, ec] = std::from_chars(first, last, n);
  if (ec != std::errc{} || p != last) return -1;
  if (kind == 's' && n < run->senders) return static_cast<long>(n);
  if (kind == 'r' && n < run->members - run->senders) return static_cast<long>(run->senders + n);
  return -1;
}

// A name this member now knows of: from its welcome's list, or `announced` in a joined
// event. Members of another run (a server still dropping the last run's) are ignored.
void learn(chat_run* run, chat_member* m, std::string_view name, bool announced) {
  const long i = index_of(run, name);
  if (i < 0) {
    if (name.starts_with(run->tag)) {
      ++m->unexpected;
      complain(run, m, "a name of this run that no member has: " + std::string{name});
    }
    return;
  }
  if (m->known[static_cast<std::size_t>(i)] != 0) {
    if (announced) ++m->join_duplicates;
    return;
  }
  m->known[static_cast<std::size_t>(i)] = 1;
  ++m->known_count;
  if (m->welcomed && !m->join_done && m->known_count == run->members) {
    m->join_done = true;
    if (--run->joins_pending == 0) wake_coordinator(run);
  }
}

void on_message(chat_run* run, chat_member* m, std::string_view from, std::string_view text) {
  const long i = index_of(run, from);
  if (i < 0 || static_cast<std::size_t>(i) >= run->senders || !run->messaging.load()) {
    ++m->unexpected;
    complain(run, m, "unexpected message from " + std::string{from});
    return;
  }
  const auto j = static_cast<std::size_t>(i);
  std::uint64_t seq = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), seq);
  const auto digits = static_cast<std::size_t>(p - text.data());
  if (ec != std::errc{} || text.size() != run->cfg.size || digits >= text.size() ||
      text[digits] != ':' ||
      text.substr(digits + 1) != std::string_view{run->filler}.substr(digits + 1)) {
    ++m->mismatches;
    complain(run, m, "a garbled text from " + std::string{from});
    return;
  }
  ++m->deliveries;
  run->deliveries.fetch_add(1, std::memory_order_relaxed);
  if (seq != m->next_seq[j]) {
    ++m->order_errors;
    complain(run, m,
             std::string{from} + ": expected message " + std::to_string(m->next_seq[j]) + ", got " +
                 std::to_string(seq) + (seq > m->next_seq[j] ? " (gap)" : " (reorder/duplicate)"));
    if (seq < m->next_seq[j]) return;
    m->skipped += seq - m->next_seq[j];
  }
  m->next_seq[j] = seq + 1;
  auto& win = *run->windows[j];
  const std::size_t slot = seq % run->ring;
  if (seq % 8 == 0) {  // a sample is enough for percentiles
    const auto now =
        std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now() - run->t0);
    m->latency_us.push_back(
        static_cast<float>(now.count() - win.sent_at[slot].load(std::memory_order_relaxed)) /
        1000.0F);
  }
  if (win.acks[slot].fetch_add(1, std::memory_order_acq_rel) + 1 == run->members) {
    chat_member* s = win.member;
    asio::post(s->w->io, [s] { s->wake.cancel(); });  // room in its window
  }
}

// `"key":"` at `at` in `line`: the string value up to the next quote (names and our
// texts hold no escapes), and `at` moved past its closing quote.
bool field(std::string_view line, std::size_t& at, std::string_view key, std::string_view& value) {
  if (line.substr(at, key.size()) != key) return false;
  at += key.size();
  const auto end = line.find('"', at);
  if (end == std::string_view::npos) return false;
  value = line.substr(at, end - at);
  at = end + 1;
  return true;
}

void on_line(chat_run* run, chat_member* m, std::string_view line) {
  run->lines.fetch_add(1, std::memory_order_relaxed);
  // Fast paths for the two events that come by the million, in chat_server's field order.
  std::size_t at = 0;
  std::string_view from, text, name;
  if (field(line, at, R"({"type":"message","from":")", from) &&
      field(line, at, R"(,"text":")", text) && line.substr(at) == "}")
    return on_message(run, m, from, text);
  at = 0;
  if (field(line, at, R"({"type":"joined","name":")", name) && line.substr(at) == "}")
    return learn(run, m, name, true);
  // Anything else, or the same in another field order.
  const auto e = nlohmann::json::parse(line, nullptr, false);
  const auto str = [&e](const char* k) {
    return e.is_object() && e.contains(k) && e[k].is_string() ? e[k].get<std::string>()
                                                              : std::string{};
  };
  const std::string type = str("type");
  if (type == "message") return on_message(run, m, str("from"), str("text"));
  if (type == "joined" && !run->messaging.load()) return learn(run, m, str("name"), true);
  if (type == "left" && !str("name").starts_with(run->tag)) return;  // the last run's
  if (type == "welcome" && !m->welcomed && e.contains("users") && e["users"].is_array()) {
    m->welcomed = true;
    for (const auto& u : e["users"])
      if (u.is_string()) learn(run, m, u.get<std::string>(), false);
    learn(run, m, m->name, false);  // complete the join even if the list left out the joiner
    return;
  }
  ++m->unexpected;
  complain(run, m, "unexpected event: " + std::string{line.substr(0, 200)});
}

}  // namespace

// Joins, then reads and checks every line until the run stops.
asio::awaitable<void> chat_receive(chat_run* run, chat_member* m) {
  const std::string join = R"({"type":"join","name":")" + m->name + "\"}\n";
  auto [wec, wn] =
      co_await asio::async_write(m->sock, asio::buffer(join), as_tuple(asio::use_awaitable));
  if (wec) fail(run, m, "join: " + wec.message());
  std::vector<char> buf(std::size_t{64} * 1024);
  std::size_t begin = 0, end = 0;
  while (!wec) {
    auto [ec, n] = co_await m->sock.async_read_some(
        asio::buffer(buf.data() + end, buf.size() - end), as_tuple(asio::use_awaitable));
    if (ec) {
      fail(run, m, ec == asio::error::eof ? "the server closed the connection" : ec.message());
      break;
    }
    end += n;
    for (;;) {
      const void* nl = std::memchr(buf.data() + begin, '\n', end - begin);
      if (nl == nullptr) break;
      const auto len = static_cast<std::size_t>(static_cast<const char*>(nl) - buf.data()) - begin;
      on_line(run, m, {buf.data() + begin, len});
      begin += len + 1;
    }
    if (begin == end) {
      begin = end = 0;
    } else if (end == buf.size()) {  // a partial line at the back: make room
      if (begin == 0) buf.resize(buf.size() * 2);
      std::memmove(buf.data(), buf.data() + begin, end - begin);
      end -= begin;
      begin = 0;
    }
  }
}

// Says texts as fast as the window lets it, from the message phase to the deadline.
asio::awaitable<void> chat_send(chat_run* run, chat_member* m, sender_window* win) {
  while (!run->messaging.load() && !run->stop.load()) {
    m->wake.expires_at(clock_type::time_point::max());
    co_await m->wake.async_wait(as_tuple(asio::use_awaitable));
  }
  const std::size_t k = run->window;
  std::string batch;
  std::uint64_t q = 0;
  std::array<char, 24> digits{};
  while (!run->stop_sending.load() && !run->stop.load()) {
    batch.clear();
    for (int n = 0; n < 64; ++n) {  // at most 64 lines per write, then look again
      if (q >= k) {
        auto& ack = win->acks[(q - k) % run->ring];
        if (ack.load(std::memory_order_acquire) < run->members) break;
        ack.store(0, std::memory_order_relaxed);
      }
      const auto at =
          std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now() - run->t0);
      win->sent_at[q % run->ring].store(at.count(), std::memory_order_relaxed);
      auto [p, ec] = std::to_chars(digits.data(), digits.data() + digits.size(), q);
      const auto len = static_cast<std::size_t>(p - digits.data());
      batch += R"({"type":"say","text":")";
      batch.append(digits.data(), len);
      batch += ':';
      batch.append(run->filler, len + 1);
      batch += "\"}\n";
      ++q;
    }
    if (batch.empty()) {  // the window is full: wait for the slowest member
      m->wake.expires_at(clock_type::time_point::max());
      co_await m->wake.async_wait(as_tuple(asio::use_awaitable));
      continue;
    }
    win->sent.store(q, std::memory_order_release);
    auto [ec, n] =
        co_await asio::async_write(m->sock, asio::buffer(batch), as_tuple(asio::use_awaitable));
    if (ec) {
      fail(run, m, "say: " + ec.message());
      break;
    }
  }
  --run->senders_running;
}

}  // namespace loadgen
