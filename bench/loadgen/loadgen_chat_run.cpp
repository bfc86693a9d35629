// coronet-loadgen --mode chat: the phases (join, messages, drain), the server's CPU
// time in each, and the report (loadgen_chat.hpp says what the mode measures).
#include "loadgen_chat.hpp"

#include <fstream>
#include <sstream>

namespace loadgen {
namespace {

// CPU seconds (user + system, all threads) of a process so far; 0 if it is gone.
double cpu_seconds(int pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  const auto paren = stat.rfind(')');
  if (paren == std::string::npos) return 0;
  std::istringstream fields(stat.substr(paren + 2));  // from field 3, the state
  std::string skip;
  for (int i = 3; i < 14; ++i)
    fields >> skip;
  double utime = 0, stime = 0;
  fields >> utime >> stime;
  return (utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

std::vector<double> cpu_now(const config& cfg) {
  std::vector<double> v;
  for (int pid : cfg.server_pids)
    v.push_back(cpu_seconds(pid));
  return v;
}

// What the coordinator saw at the ends of the phases.
struct timeline {
  clock_type::time_point join_end, deadline, end;
  std::vector<double> cpu0, cpu1, cpu2;
  std::uint64_t join_lines = 0, window_deliveries = 0, window_sent = 0, total_sent = 0;
  bool join_complete = false;
};

void post_to_members(chat_run* run, bool close) {
  for (auto& w : run->workers)
    asio::post(w->io, [home = w.get(), close] {
      for (auto* m : home->members) {
        m->wake.cancel();
        std::error_code ignored;
        if (close) m->sock.close(ignored);
      }
    });
}

std::uint64_t sent_so_far(chat_run* run) {
  std::uint64_t n = 0;
  for (auto& w : run->windows)
    n += w->sent.load();
  return n;
}

// Runs the phases on worker 0: join, message phase, drain; then closes every member.
asio::awaitable<void> coordinate(chat_run* run, timeline* t) {
  auto& timer = *run->coordinator;
  const auto join_deadline = run->t0 + std::chrono::seconds(30);
  while (run->joins_pending.load() != 0 && !run->failed.load() &&
         clock_type::now() < join_deadline) {
    timer.expires_at(join_deadline);
    co_await timer.async_wait(as_tuple(asio::use_awaitable));
  }
  t->join_end = clock_type::now();
  t->cpu1 = cpu_now(run->cfg);
  t->join_lines = run->lines.load();
  t->join_complete = run->joins_pending.load() == 0;
  if (t->join_complete && !run->failed.load()) {
    t->deadline = t->join_end + std::chrono::duration_cast<clock_type::duration>(
                                    std::chrono::duration<double>(run->cfg.duration));
    run->messaging = true;
    post_to_members(run, false);  // the senders start
    while (!run->failed.load() && clock_type::now() < t->deadline) {
      timer.expires_at(t->deadline);
      co_await timer.async_wait(as_tuple(asio::use_awaitable));
    }
    run->stop_sending = true;
    t->window_deliveries = run->deliveries.load();
    t->window_sent = sent_so_far(run);
    post_to_members(run, false);  // senders waiting for room stop
    // Drain: until every message sent has reached every member, or nothing has
    // arrived for 2 s (a slow server may need many seconds for a full window).
    auto last_progress = clock_type::now();
    std::uint64_t last = run->deliveries.load();
    while (!run->failed.load() && clock_type::now() - last_progress < std::chrono::seconds(2) &&
           (run->senders_running.load() != 0 ||
            run->deliveries.load() < sent_so_far(run) * run->members)) {
      timer.expires_after(std::chrono::milliseconds(2));
      co_await timer.async_wait(as_tuple(asio::use_awaitable));
      if (const auto now = run->deliveries.load(); now != last) {
        last = now;
        last_progress = clock_type::now();
      }
    }
  }
  t->end = clock_type::now();
  t->cpu2 = cpu_now(run->cfg);
  t->total_sent = sent_so_far(run);
  run->stop = true;
  post_to_members(run, true);
}

double secs(clock_type::duration d) {
  return std::chrono::duration<double>(d).count();
}

std::string make_tag() {
  // Unique per run, so that a server still dropping the last run's members never
  // answers name_taken.
  constexpr std::string_view alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
  auto x = static_cast<std::uint64_t>(::getpid()) * 0x9e3779b97f4a7c15ULL ^
           static_cast<std::uint64_t>(clock_type::now().time_since_epoch().count());
  std::string tag = "b";
  for (int i = 0; i < 5; ++i, x /= 36)
    tag += alphabet[x % 36];
  return tag + "_";
}

}  // namespace

std::size_t chat_window(const config& cfg) {
  if (cfg.window != 0) return cfg.window;
  // A delivered line: {"type":"message","from":"<tag>s<j>","text":"<size>"} and '\n'.
  const std::size_t line = cfg.size + 60;
  return std::clamp<std::size_t>(cfg.max_queue / 2 / (cfg.senders * line), 1, 4096);
}

int run_chat(const config& cfg) {
  chat_run run;
  run.cfg = cfg;
  run.tag = make_tag();
  run.senders = cfg.senders;
  run.members = cfg.senders + cfg.receivers;
  run.window = chat_window(cfg);
  run.ring = run.window + 1;
  run.filler.resize(cfg.size);
  for (std::size_t i = 0; i < cfg.size; ++i)
    run.filler[i] = static_cast<char>('a' + i % 26);
  for (std::size_t i = 0; i < cfg.threads; ++i)
    run.workers.push_back(std::make_unique<chat_worker>());
  const auto endpoints = endpoints_of(cfg);

  // Connect everyone before the clock starts; senders and receivers each round-robin.
  for (std::size_t c = 0; c < run.members; ++c) {
    auto* w = run.workers[c % run.workers.size()].get();
    auto& m = *run.all.emplace_back(std::make_unique<chat_member>(w->io, w));
    m.index = c;
    m.sender = c < cfg.senders;
    const std::size_t k = m.sender ? c : c - cfg.senders;
    m.name = run.tag + (m.sender ? "s" : "r") + std::to_string(k);
    m.target = endpoints[k % endpoints.size()];
    m.next_seq.assign(cfg.senders, 0);
    m.known.assign(run.members, 0);
    m.latency_us.reserve(1024);
    m.sock.connect(m.target);
    m.sock.set_option(tcp::no_delay(true));
    w->members.push_back(&m);
    if (m.sender) {
      run.windows.push_back(std::make_unique<sender_window>(run.ring));
      run.windows.back()->member = &m;
    }
  }

  timeline t;
  run.coordinator.emplace(run.workers[0]->io);
  run.joins_pending = run.members;
  run.senders_running = cfg.senders;
  t.cpu0 = cpu_now(cfg);
  run.t0 = clock_type::now();
  for (auto& m : run.all) {
    asio::co_spawn(m->w->io, chat_receive(&run, m.get()), asio::detached);
    if (m->sender)
      asio::co_spawn(m->w->io, chat_send(&run, m.get(), run.windows[m->index].get()),
                     asio::detached);
  }
  asio::co_spawn(run.workers[0]->io, coordinate(&run, &t), asio::detached);
  std::vector<std::thread> threads;
  for (std::size_t i = 1; i < run.workers.size(); ++i)
    threads.emplace_back([w = run.workers[i].get()] { w->io.run(); });
  run.workers[0]->io.run();
  for (auto& th : threads)
    th.join();

  // ---- the report ----
  std::uint64_t order_errors = 0, mismatches = 0, unexpected = 0, errors = 0, lost = 0;
  std::uint64_t join_duplicates = 0;
  std::vector<float> all;
  for (auto& m : run.all) {
    order_errors += m->order_errors;
    mismatches += m->mismatches;
    unexpected += m->unexpected;
    join_duplicates += m->join_duplicates;
    lost += m->skipped;
    all.insert(all.end(), m->latency_us.begin(), m->latency_us.end());
    for (std::size_t j = 0; j < cfg.senders && t.join_complete; ++j) {
      const auto sent = run.windows[j]->sent.load();
      if (m->next_seq[j] < sent) lost += sent - m->next_seq[j];
    }
    if (!m->error.empty() && errors++ == 0)
      std::cerr << "coronet-loadgen: " << m->name << ": " << m->error << "\n";
  }
  if (!t.join_complete)
    std::cerr << "coronet-loadgen: join phase incomplete: " << run.joins_pending.load() << " of "
              << run.members << " members do not know everyone after " << secs(t.join_end - run.t0)
              << " s\n";
  if (!t.join_complete) {  // say who missed what, for the server's author
    int shown = 0;
    for (auto& m : run.all) {
      if (m->join_done || shown++ == 3) continue;
      std::string missing;
      std::size_t n = 0;
      for (auto& other : run.all)
        if (m->known[other->index] == 0 && n++ < 3) missing += " " + other->name;
      std::cerr << "coronet-loadgen:   " << m->name << " (on " << m->target
                << "): " << (m->welcomed ? "welcomed" : "no welcome") << ", never told of " << n
                << " member(s):" << missing << (n > 3 ? " ..." : "") << "\n";
    }
  }
  if (lost != 0) std::cerr << "coronet-loadgen: " << lost << " deliveries never came\n";
  const double join_s = secs(t.join_end - run.t0);
  const double msg_s = cfg.duration;
  const double phase_s = t.join_complete ? secs(t.end - t.join_end) : 0.0;
  const auto total_deliveries = static_cast<double>(run.deliveries.load());
  nlohmann::json per_pid = nlohmann::json::array();
  double join_cpu = 0, msg_cpu = 0;
  for (std::size_t i = 0; i < cfg.server_pids.size(); ++i) {
    const double jc = t.cpu1[i] - t.cpu0[i], mc = t.cpu2[i] - t.cpu1[i];
    join_cpu += jc;
    msg_cpu += mc;
    per_pid.push_back({{"pid", cfg.server_pids[i]}, {"join_cpu_s", jc}, {"messages_cpu_s", mc}});
  }
  const auto per = [](double n, double d) { return d > 0 ? n / d : 0.0; };
  std::vector<std::string> targets;
  targets.reserve(endpoints.size());
  for (const auto& ep : endpoints)
    targets.push_back(ep.address().to_string() + ":" + std::to_string(ep.port()));
  const double p50 = percentile(all, 0.50), p99 = percentile(all, 0.99);
  const bool ok = t.join_complete && order_errors == 0 && mismatches == 0 && unexpected == 0 &&
                  errors == 0 && lost == 0;
  nlohmann::json report = {
      {"mode", "chat"},
      {"targets", targets},
      {"receivers", cfg.receivers},
      {"senders", cfg.senders},
      {"members", run.members},
      {"size", cfg.size},
      {"window", run.window},
      {"threads", cfg.threads},
      {"join_s", join_s},
      {"join_deliveries", t.join_lines},
      {"join_deliveries_per_s", per(static_cast<double>(t.join_lines), join_s)},
      {"join_server_cpu_s", join_cpu},
      {"join_duplicates", join_duplicates},
      {"duration_s", msg_s},
      {"messages", t.window_sent},
      {"messages_per_s", per(static_cast<double>(t.window_sent), msg_s)},
      {"deliveries", t.window_deliveries},
      {"deliveries_per_s", per(static_cast<double>(t.window_deliveries), msg_s)},
      {"drained_s", t.join_complete ? secs(t.end - t.deadline) : 0.0},
      {"messages_total", t.total_sent},
      {"deliveries_total", run.deliveries.load()},
      {"server_cpu_s", msg_cpu},
      {"deliveries_per_cpu_s", per(total_deliveries, msg_cpu)},
      {"server_cpu", per_pid},
      {"p50_us", p50},
      {"p99_us", p99},
      {"order_errors", order_errors},
      {"mismatches", mismatches},
      {"unexpected", unexpected},
      {"lost", lost},
      {"errors", errors},
      {"ok", ok}};
  if (cfg.json) {
    std::cout << report.dump() << std::endl;
  } else {
    std::printf("chat: %zu receivers + %zu senders on %zu target(s), %zu B texts, window %zu\n",
                cfg.receivers, cfg.senders, endpoints.size(), cfg.size, run.window);
    std::printf("join: %.3f s, %llu deliveries (%.0f/s)", join_s,
                static_cast<unsigned long long>(t.join_lines),
                per(static_cast<double>(t.join_lines), join_s));
    if (!cfg.server_pids.empty()) std::printf(", server CPU %.3f s", join_cpu);
    if (join_duplicates != 0)
      std::printf(", %llu announcements of a member already in the welcome",
                  static_cast<unsigned long long>(join_duplicates));
    std::printf("\nmessages: %.1f s, %llu sent (%.0f/s), %llu delivered (%.0f deliveries/s)\n",
                msg_s, static_cast<unsigned long long>(t.window_sent),
                per(static_cast<double>(t.window_sent), msg_s),
                static_cast<unsigned long long>(t.window_deliveries),
                per(static_cast<double>(t.window_deliveries), msg_s));
    if (!cfg.server_pids.empty())
      std::printf("server CPU %.3f s over %.2f s with the drain: %.0f deliveries per CPU-second\n",
                  msg_cpu, phase_s, per(total_deliveries, msg_cpu));
    std::printf("latency (send to delivery): p50 %.1f us, p99 %.1f us\n", p50, p99);
    std::printf(
        "order errors: %llu, mismatches: %llu, unexpected: %llu, lost: %llu, "
        "connection errors: %llu\n",
        static_cast<unsigned long long>(order_errors), static_cast<unsigned long long>(mismatches),
        static_cast<unsigned long long>(unexpected), static_cast<unsigned long long>(lost),
        static_cast<unsigned long long>(errors));
  }
  return ok ? 0 : 1;
}

}  // namespace loadgen
