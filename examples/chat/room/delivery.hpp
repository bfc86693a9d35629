// How the room reaches its members: one coronet::broadcast_group per kind of frames a
// transport reads and writes (lines, WebSocket messages) and per form (JSON, text). An
// event is rendered once per form, and each group keeps broadcast_group's design: a
// member list per worker thread, one post per thread per event, each sender's events in
// order at every receiver, a receiver too slow to keep its queue under the high-water
// mark closed (overflow::close(); its session logs errc::outbox_full) while nobody waits.
//
// The room knows the groups only as channels; a member (member.hpp) names its own, the
// first member of a kind making it. So a new transport needs no change to the room.
#pragma once

#include "protocol/events.hpp"

#include <coronet/framing/broadcast_group.hpp>

#include <asio/any_io_executor.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <typeindex>
#include <vector>

namespace chat {

// One delivery group, whatever its frames: what the room does with it.
class channel {
 public:
  virtual ~channel() = default;
  // `event` in this channel's form to each of its members but `except` (a place id; 0:
  // nobody). Any thread.
  virtual void publish(const rendered& event, std::uint64_t except) = 0;
  // As broadcast_group::prepare() and ticket(): for a join posted to another thread.
  virtual void prepare(const asio::any_io_executor& here) = 0;
  virtual std::uint64_t ticket() const noexcept = 0;
  virtual std::size_t closed_slow() const noexcept = 0;
};

// The channel of members whose frames are framed<Codec, Stream> and who read `f`.
template <typename Codec, typename Stream>
class channel_of final : public channel {
 public:
  explicit channel_of(form f) : form_(f) {}

  coronet::broadcast_group<Codec, Stream>& group() noexcept { return group_; }

  void publish(const rendered& event, std::uint64_t except) override {
    group_.publish(std::string{event.in(form_)}, coronet::overflow::close(), except);
  }
  void prepare(const asio::any_io_executor& here) override { group_.prepare(here); }
  std::uint64_t ticket() const noexcept override { return group_.ticket(); }
  std::size_t closed_slow() const noexcept override { return group_.closed_slow(); }

 private:
  form form_;
  coronet::broadcast_group<Codec, Stream> group_;
};

// Every channel of a room. Channels are only ever added (under a mutex, rarely: one per
// kind of member), so publish() reads them without a lock, as broadcast_group reads its
// per-thread slots.
class delivery {
 public:
  delivery() { channels_.reserve(max_channels); }

  // The channel of framed<Codec, Stream> members reading `f`, made on first use.
  template <typename Codec, typename Stream>
  channel_of<Codec, Stream>& channel_for(form f) {
    using kind = channel_of<Codec, Stream>;
    const std::type_index type{typeid(kind)};
    if (auto* c = find(type, f)) return static_cast<kind&>(*c);
    const std::lock_guard lock{mutex_};
    if (auto* c = find(type, f)) return static_cast<kind&>(*c);
    if (channels_.size() == max_channels) throw std::length_error("chat: too many channels");
    channels_.push_back(entry{type, f, std::make_unique<kind>(f)});
    count_.store(channels_.size(), std::memory_order_release);
    return static_cast<kind&>(*channels_.back().c);
  }

  // `event` to every member of every channel, but the member at `except` of `in` (if any).
  void publish(const rendered& event, const channel* in = nullptr, std::uint64_t except = 0) {
    const auto n = count_.load(std::memory_order_acquire);
    for (std::size_t i = 0; i < n; ++i) {
      auto& c = *channels_[i].c;
      c.publish(event, &c == in ? except : 0);
    }
  }

  // Members closed so far for being too slow, in every channel.
  std::size_t closed_slow() const noexcept {
    std::size_t total = 0;
    const auto n = count_.load(std::memory_order_acquire);
    for (std::size_t i = 0; i < n; ++i)
      total += channels_[i].c->closed_slow();
    return total;
  }

 private:
  // Two forms for each transport's frames: room for a few more transports.
  static constexpr std::size_t max_channels = 8;

  struct entry {
    std::type_index type;
    form f;
    std::unique_ptr<channel> c;
  };

  channel* find(std::type_index type, form f) const noexcept {
    const auto n = count_.load(std::memory_order_acquire);
    for (std::size_t i = 0; i < n; ++i)
      if (channels_[i].type == type && channels_[i].f == f) return channels_[i].c.get();
    return nullptr;
  }

  std::mutex mutex_;                   // guards adding channels
  std::vector<entry> channels_;        // reserved up front: entries never move
  std::atomic<std::size_t> count_{0};  // channels published to readers
};

}  // namespace chat
