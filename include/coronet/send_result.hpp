// coronet::send_result: what try_send() did with a frame. It converts to bool (true:
// queued), which is all try_send() used to answer, so `if (!out.try_send(m))` reads as
// before; status() tells a full queue (a slow reader: drop it or wait) from a closed
// stream (nothing to do).
//
//   auto r = out.try_send(message);
//   if (r.status() == coronet::send_status::full) out.close(coronet::errc::outbox_full);
#pragma once

namespace coronet {

enum class send_status { queued, full, closed };

class send_result {
 public:
  constexpr send_result(send_status s) noexcept : status_(s) {}  // NOLINT: implicit on purpose
  constexpr send_status status() const noexcept { return status_; }
  constexpr bool queued() const noexcept { return status_ == send_status::queued; }
  constexpr bool full() const noexcept { return status_ == send_status::full; }
  constexpr bool closed() const noexcept { return status_ == send_status::closed; }
  constexpr operator bool() const noexcept { return queued(); }  // NOLINT: the old bool answer

 private:
  send_status status_;
};

}  // namespace coronet
