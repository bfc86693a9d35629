// Asio is compiled once, here (ASIO_SEPARATE_COMPILATION), instead of in every
// translation unit that includes it.

#if defined(ASIO_HAS_IO_URING)
// A fix for Asio 1.22's io_uring back end, made here because this is the one place
// its implementation is compiled.
//
// Asio cancels an operation (a socket closed, or a cancellation slot fired) with a
// cancel request in the submission ring, and removes a timeout the same way, but
// it never sets those requests' user data. Since liburing 2.2, prepping a request
// no longer clears it either (liburing issue #848), so the request carries whatever
// the last request in that ring slot carried: often another socket's operation
// queue. The cancel's own completion then lands on that queue as if its operation
// had finished: a read completes having read nothing, a write is sent again, and
// the operation's real completion later goes to the next operation or is lost.
// Under load this showed as a graceful stop echoing one client's last batch twice
// and a handler waiting until the shutdown timeout.
//
// The wrappers below clear the user data after prepping; Asio ignores completions
// without any, and sets its own afterwards where it wants one. Asio's calls are
// qualified (::io_uring_prep_cancel), which the macros turn into
// ::coronet_asio_fix::... calls. liburing.h is included first so that its own
// definitions are not renamed.
#include <liburing.h>

namespace coronet_asio_fix {
inline void prep_cancel(::io_uring_sqe* sqe, void* target, int flags) noexcept {
  (::io_uring_prep_cancel)(sqe, target, flags);
  ::io_uring_sqe_set_data(sqe, nullptr);
}

inline void prep_timeout_remove(::io_uring_sqe* sqe, __u64 target, unsigned flags) noexcept {
  (::io_uring_prep_timeout_remove)(sqe, target, flags);
  ::io_uring_sqe_set_data(sqe, nullptr);
}
}  // namespace coronet_asio_fix

#define io_uring_prep_cancel(sqe, target, flags) coronet_asio_fix::prep_cancel(sqe, target, flags)
#define io_uring_prep_timeout_remove(sqe, target, flags) \
  coronet_asio_fix::prep_timeout_remove(sqe, target, flags)
#endif

#include <asio/impl/src.hpp>
