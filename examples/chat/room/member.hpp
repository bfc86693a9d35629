// A member of the room as the room sees it, whatever carries its bytes. Each transport
// (transports/) makes its members as member_of<its frames>; the room only ever holds a
// `member&` and a `sender`, so it has no idea whether a member came by TCP or WebSocket.
#pragma once

#include "protocol/events.hpp"
#include "room/delivery.hpp"

#include <coronet/core/connection.hpp>
#include <coronet/core/errc.hpp>
#include <coronet/framing/broadcast_group.hpp>
#include <coronet/framing/framed.hpp>
#include <coronet/framing/outbox.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>

namespace chat {

// A member's outbox, whichever frames it writes: copyable, usable from any thread (a
// whisper from another member, an eviction by the cluster), and safe to use after its
// session has ended (sending then does nothing).
class sender {
 public:
  template <typename Codec, typename Stream>
  explicit sender(coronet::outbox<Codec, Stream> out)
      : out_(std::make_shared<model<Codec, Stream>>(std::move(out))) {}

  coronet::send_result try_send(std::string_view event) const { return out_->try_send(event); }
  void close(coronet::errc why) const { out_->close(why); }

 private:
  struct any_outbox {
    virtual ~any_outbox() = default;
    virtual coronet::send_result try_send(std::string_view event) const = 0;
    virtual void close(coronet::errc why) const = 0;
  };
  template <typename Codec, typename Stream>
  struct model final : any_outbox {
    explicit model(coronet::outbox<Codec, Stream> o) : out(std::move(o)) {}
    coronet::send_result try_send(std::string_view event) const override {
      return out.try_send(event);
    }
    void close(coronet::errc why) const override { out.close(why); }
    coronet::outbox<Codec, Stream> out;
  };

  std::shared_ptr<const any_outbox> out_;
};

class member {
 public:
  // `reads`: the form it reads, or nullopt until its first line decides (line sessions).
  member(std::uint64_t id, std::optional<chat::form> reads, sender out)
      : id_(id), form_(reads), out_(std::move(out)) {}
  member(const member&) = delete;
  member& operator=(const member&) = delete;
  virtual ~member() = default;

  std::uint64_t id() const noexcept { return id_; }  // its connection's
  // The form it reads. Before its first line has chosen, the text form: the only reply
  // then is the error for an over-long first line, and a person with nc is the likelier
  // sender of one than a JSON client, whose first line is a short join.
  chat::form reads() const noexcept { return form_.value_or(form::text); }
  bool form_known() const noexcept { return form_.has_value(); }
  void set_form(chat::form f) noexcept { form_ = f; }
  // Its outbox, for other threads.
  const sender& out() const noexcept { return out_; }

  // On the member's own thread (its session's) from here on, unless said otherwise.

  // Sends `event` now; a member too slow to take it is closed.
  virtual void send_here(std::string_view event) = 0;
  // Its channel in `d`: that of its frames and form (made on first use). Any thread.
  virtual channel& channel_in(delivery& d) = 0;
  // Enters its channel, getting what is published after `since` (a ticket of it).
  virtual void enter(delivery& d, std::uint64_t since) = 0;
  // Its id in its channel (publish()'s `except`); 0 when not in it.
  virtual std::uint64_t place() const noexcept = 0;
  // Leaves its channel (again: nothing).
  virtual void leave_channel() noexcept = 0;

 private:
  std::uint64_t id_;
  std::optional<chat::form> form_;
  sender out_;
};

// A member whose frames are `frames`, which must outlive it.
template <typename Codec, typename Stream = coronet::connection>
class member_of final : public member {
 public:
  member_of(coronet::framed<Codec, Stream>& frames, std::uint64_t id,
            std::optional<chat::form> reads)
      : member(id, reads, sender{frames.get_outbox()}), frames_(frames) {}

  void send_here(std::string_view event) override {
    if (!frames_.try_send(event)) frames_.close();
  }
  channel& channel_in(delivery& d) override { return d.channel_for<Codec, Stream>(reads()); }
  void enter(delivery& d, std::uint64_t since) override {
    place_ = d.channel_for<Codec, Stream>(reads()).group().join(frames_, since);
  }
  std::uint64_t place() const noexcept override { return place_.id(); }
  void leave_channel() noexcept override { place_.leave(); }

 private:
  coronet::framed<Codec, Stream>& frames_;
  typename coronet::broadcast_group<Codec, Stream>::membership place_;
};

}  // namespace chat
