/// @file
/// @code{.unparsed}
/// coronet::send_result: what try_send() did with a frame. It converts to bool (true:
/// queued), which is all try_send() used to answer, so `if (!out.try_send(m))` reads as
/// before; status() tells a full queue (a slow reader: drop it or wait) from a closed
/// stream (nothing to do).
///
///   auto r = out.try_send(message);
///   if (r.status() == coronet::send_status::full) out.close(coronet::errc::outbox_full);
/// @endcode
#pragma once

namespace coronet {

/// What try_send() did: queued the frame, refused it because high_water_mark bytes are
/// queued (full), or refused it because the stream is closed.
enum class send_status {
  queued,  ///< queued for the writer
  full,    ///< refused: high_water_mark bytes are already queued
  closed,  ///< refused: the stream is closed
};

/// What try_send() did with a frame; converts to bool, true when queued (see the file
/// comment).
class send_result {
 public:
  /// Wraps `s`; implicit, so try_send() can return a send_status.
  constexpr send_result(send_status s) noexcept : status_(s) {}  // NOLINT: implicit on purpose
  /// What happened: queued, full or closed.
  constexpr send_status status() const noexcept { return status_; }
  /// True when the frame was queued.
  constexpr bool queued() const noexcept { return status_ == send_status::queued; }
  /// True when it was refused because high_water_mark bytes are queued (a slow reader).
  constexpr bool full() const noexcept { return status_ == send_status::full; }
  /// True when it was refused because the stream is closed.
  constexpr bool closed() const noexcept { return status_ == send_status::closed; }
  /// True when queued, as queued(): try_send()'s earlier bool answer.
  constexpr operator bool() const noexcept { return queued(); }  // NOLINT: the old bool answer

 private:
  send_status status_;
};

}  // namespace coronet
