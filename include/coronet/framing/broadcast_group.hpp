/// @file
/// @code{.unparsed}
/// coronet::broadcast_group: one message to many connections, across worker threads,
/// with a policy for members too slow to keep up.
///
///   coronet::broadcast_group<coronet::line_codec> room;       // shared by every handler
///
///   asio::awaitable<void> session(coronet::connection conn, decltype(room)* r) {
///     coronet::framed lines{std::move(conn), coronet::line_codec{}};
///     auto me = r->join(lines);                   // leaves when `me` is destroyed
///     while (auto line = co_await lines.read())
///       r->publish(std::string{*line});           // to everyone, this member included
///   }
///
/// Design (muduo's, and the chat example's before it): every worker thread has a slot
/// listing the members whose connections live on that thread. publish() delivers inline
/// to its own thread's members and posts once to every other thread that has members,
/// so a message costs one post per thread, not one per member, no lock is held while
/// delivering, and messages from one publisher reach every member in the order
/// published (posts to one thread run in order). Joining and leaving touch only the
/// member's own slot, on its own thread; a slot is created (under a mutex) the first time
/// a thread joins.
///
/// Slow members: each delivery is the member's outbox try_send(). When the outbox is
/// over its high-water mark the policy decides: overflow::drop() skips the message for
/// that member, overflow::close() (the default) closes the member with
/// errc::outbox_full, which its handler's read() then throws; overflow::wait(d) queues
/// the message for that member and waits up to `d` for room, then closes it the same
/// way. Nobody else ever waits.
///
/// Frames are held by the group until every thread has delivered them, so publish()
/// takes an owning frame (std::string, not std::string_view).
/// @endcode
#pragma once

#include "coronet/core/connection.hpp"
#include "coronet/core/errc.hpp"
#include "coronet/core/timeout.hpp"
#include "coronet/framing/framed.hpp"
#include "coronet/framing/line_codec.hpp"
#include "coronet/framing/outbox.hpp"

#include <asio/any_io_executor.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/post.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace coronet {

/// What publish() does for a member whose outbox is full.
struct overflow {
  /// The policies: skip the message, close the member, or wait for room.
  enum class action {
    drop,   ///< skip the message for that member
    close,  ///< close the member (errc::outbox_full)
    wait,   ///< wait up to wait_for for room, then close the member
  };
  /// The policy; close by default.
  action what = action::close;
  /// For action::wait: how long a frame may wait for room before the member is closed.
  std::chrono::steady_clock::duration wait_for{};

  /// Skips the message for that member.
  static overflow drop() noexcept { return {action::drop, {}}; }
  /// Closes the member with errc::outbox_full (the default).
  static overflow close() noexcept { return {action::close, {}}; }
  /// Queues the message for that member and waits up to `d` for room, then closes it.
  static overflow wait(std::chrono::steady_clock::duration d) noexcept { return {action::wait, d}; }
};

/// One message to many connections, across worker threads (see the file comment).
template <decoder Codec = line_codec, typename Stream = connection>
class broadcast_group {
  struct member {
    std::uint64_t id;
    outbox<Codec, Stream> out;
    std::uint64_t since;  ///< gets the publishes numbered from here on
    /// overflow::wait: frames waiting for room, oldest first, each a call that sends it.
    using pending_send = std::function<asio::awaitable<void>(const outbox<Codec, Stream>&)>;
    std::shared_ptr<std::deque<pending_send>> backlog;
  };
  struct slot {
    std::thread::id thread;
    asio::any_io_executor executor;
    std::vector<member> members;  ///< touched on `thread` only
  };
  struct state {
    std::mutex mutex;                          ///< guards adding slots
    std::vector<std::unique_ptr<slot>> slots;  ///< never shrinks; reserved up front
    std::atomic<std::size_t> slot_count{0};
    std::atomic<std::size_t> size{0};
    std::atomic<std::uint64_t> next_id{1};
    std::atomic<std::uint64_t> published{0};  ///< publishes so far: the next one's number
    std::atomic<std::size_t> closed_slow{0};
    std::atomic<std::size_t> dropped{0};
    std::size_t max_threads;
  };

 public:
  /// A member's place in the group; leaving when destroyed (on the member's thread).
  class membership {
   public:
    /// An empty membership, in no group.
    membership() = default;
    /// Takes over `other`'s place in the group; `other` is left empty.
    membership(membership&& other) noexcept
        : state_(std::move(other.state_)), slot_(other.slot_), id_(std::exchange(other.id_, 0)) {}
    /// Leaves the group this one is in, then takes over `other`'s place.
    membership& operator=(membership&& other) noexcept {
      if (this == &other) return *this;
      leave();
      state_ = std::move(other.state_);
      slot_ = other.slot_;
      id_ = std::exchange(other.id_, 0);
      return *this;
    }
    membership(const membership&) = delete;
    membership& operator=(const membership&) = delete;
    ~membership() { leave(); }

    /// The member's id in the group (for publish's `except`); 0 once left.
    std::uint64_t id() const noexcept { return id_; }

    /// Leaves now. Call on the member's thread (its handler's), as destruction does.
    void leave() noexcept {
      if (id_ == 0 || !state_) return;
      std::erase_if(slot_->members, [this](const member& m) { return m.id == id_; });
      state_->size.fetch_sub(1, std::memory_order_relaxed);
      id_ = 0;
    }

   private:
    friend class broadcast_group;
    membership(std::shared_ptr<state> s, slot* sl, std::uint64_t id)
        : state_(std::move(s)), slot_(sl), id_(id) {}
    std::shared_ptr<state> state_;
    slot* slot_ = nullptr;
    std::uint64_t id_ = 0;
  };

  /// `max_threads`: the most distinct threads that may join (each gets a slot).
  explicit broadcast_group(std::size_t max_threads = 256) : state_(std::make_shared<state>()) {
    state_->max_threads = max_threads;
    state_->slots.reserve(max_threads);
  }

  /// Joins `frames`, which must be used on the calling thread (call from its handler).
  /// The member gets exactly what is published from now on: a publish made earlier on
  /// another thread, whose delivery has not reached this thread yet, is not delivered to
  /// it. So a member listed under a lock together with its join (see chat's room) hears
  /// of exactly the changes after the list it was given.
  membership join(framed<Codec, Stream>& frames) { return join(frames, ticket()); }

  /// Joins `frames` as of `since`, a ticket() taken earlier (on any thread): the member
  /// gets every publish made after that ticket was taken, including those whose delivery
  /// reached this thread before the join (post the join to this thread before those
  /// publishes, after prepare()).
  membership join(framed<Codec, Stream>& frames, std::uint64_t since) {
    slot& s = local_slot(frames.get_executor());
    const auto id = state_->next_id.fetch_add(1, std::memory_order_relaxed);
    s.members.push_back(member{id, frames.get_outbox(), since, nullptr});
    state_->size.fetch_add(1, std::memory_order_relaxed);
    return membership{state_, &s, id};
  }

  /// Makes publish() reach the calling thread from now on, even before a member joins
  /// here. For a member that joins later in a handler posted to this thread and must get
  /// everything published after the post (publish() posts only to threads that have had
  /// a member): call prepare() on the thread first, then post the join.
  void prepare(const asio::any_io_executor& ex) { local_slot(ex); }

  /// A point in the sequence of publishes, for join(frames, since).
  std::uint64_t ticket() const noexcept {
    return state_->published.load(std::memory_order_acquire);
  }

  /// Sends `frame` to every member but `except` (a membership id; 0: nobody excepted).
  /// From any thread; never waits.
  template <typename T>
  requires encoder_for<Codec, T>
  void publish(T frame, overflow policy = overflow::close(), std::uint64_t except = 0) {
    static_assert(!std::is_same_v<std::decay_t<T>, std::string_view>,
                  "publish an owning frame (std::string): it outlives this call");
    auto shared = std::make_shared<const T>(std::move(frame));
    const auto number = state_->published.fetch_add(1, std::memory_order_acq_rel);
    const auto me = std::this_thread::get_id();
    const std::size_t n = state_->slot_count.load(std::memory_order_acquire);
    for (std::size_t i = 0; i < n; ++i) {
      slot* s = state_->slots[i].get();
      if (s->thread == me) {
        deliver(state_, s, shared, number, policy, except);
      } else {
        asio::post(s->executor, [st = state_, s, shared, number, policy, except] {
          deliver(st, s, shared, number, policy, except);
        });
      }
    }
  }

  /// Members now, across all threads.
  std::size_t size() const noexcept { return state_->size.load(std::memory_order_relaxed); }
  /// Deliveries skipped so far under overflow::drop.
  std::size_t dropped() const noexcept { return state_->dropped.load(std::memory_order_relaxed); }
  /// Members closed so far for being too slow (overflow::close and overflow::wait).
  std::size_t closed_slow() const noexcept {
    return state_->closed_slow.load(std::memory_order_relaxed);
  }

 private:
  slot& local_slot(const asio::any_io_executor& ex) {
    const auto me = std::this_thread::get_id();
    const std::size_t n = state_->slot_count.load(std::memory_order_acquire);
    for (std::size_t i = 0; i < n; ++i)
      if (state_->slots[i]->thread == me) return *state_->slots[i];
    std::lock_guard lock{state_->mutex};
    const std::size_t count = state_->slot_count.load(std::memory_order_relaxed);
    if (count == state_->max_threads)
      throw std::length_error("broadcast_group: more threads than max_threads");
    // reserve() in the constructor keeps slots' storage in place: readers that loaded
    // slot_count earlier index it without the mutex.
    state_->slots.push_back(std::make_unique<slot>(slot{me, ex, {}}));
    state_->slot_count.store(count + 1, std::memory_order_release);
    return *state_->slots[count];
  }

  template <typename T>
  static void deliver(const std::shared_ptr<state>& st, slot* s,
                      const std::shared_ptr<const T>& frame, std::uint64_t number, overflow policy,
                      std::uint64_t except) {
    for (auto& m : s->members) {
      if (m.id == except || number < m.since) continue;  // published before it joined
      if (m.backlog) {  // already waiting for room: keep this member's order
        m.backlog->push_back(later(frame));
        continue;
      }
      const auto r = m.out.try_send(*frame);
      if (r || r.closed()) continue;
      switch (policy.what) {
        case overflow::action::drop:
          st->dropped.fetch_add(1, std::memory_order_relaxed);
          break;
        case overflow::action::close:
          st->closed_slow.fetch_add(1, std::memory_order_relaxed);
          m.out.close(errc::outbox_full);
          break;
        case overflow::action::wait:
          m.backlog = std::make_shared<std::deque<typename member::pending_send>>();
          m.backlog->push_back(later(frame));
          asio::co_spawn(s->executor, drain_backlog(st, s, m.id, policy.wait_for),
                         asio::detached);  // drain_backlog catches everything
          break;
      }
    }
  }

  /// A frame kept for a member that is waiting for room. Not a coroutine: it returns
  /// send()'s awaitable, which holds its own copy of the frame.
  template <typename T>
  static typename member::pending_send later(std::shared_ptr<const T> frame) {
    return
        [frame = std::move(frame)](const outbox<Codec, Stream>& out) { return out.send(*frame); };
  }

  /// Sends a slow member's queued frames as room appears; closes it when one frame
  /// waits longer than `patience`.
  static asio::awaitable<void> drain_backlog(std::shared_ptr<state> st, slot* s, std::uint64_t id,
                                             std::chrono::steady_clock::duration patience) {
    for (;;) {
      auto it = std::find_if(s->members.begin(), s->members.end(),
                             [id](const member& m) { return m.id == id; });
      if (it == s->members.end()) co_return;  // left meanwhile
      if (it->backlog->empty()) {
        it->backlog.reset();
        co_return;
      }
      auto send = std::move(it->backlog->front());
      it->backlog->pop_front();
      auto out = it->out;
      try {
        co_await with_timeout(send(out), patience);
      } catch (const std::exception&) {
        st->closed_slow.fetch_add(1, std::memory_order_relaxed);
        out.close(errc::outbox_full);
        // Drop the rest; the member is gone for us.
        auto again = std::find_if(s->members.begin(), s->members.end(),
                                  [id](const member& m) { return m.id == id; });
        if (again != s->members.end()) again->backlog.reset();
        co_return;
      }
    }
  }

  std::shared_ptr<state> state_;
};

}  // namespace coronet
