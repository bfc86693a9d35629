/// @file
/// @code{.unparsed}
/// Which of Asio's I/O back ends this build of coronet runs on.
///
///   std::cout << "running on " << coronet::io_backend() << "\n";   // "epoll" or "io_uring"
///
/// The default is epoll. Configured with -DCORONET_IO_URING=ON (CMake preset `uring`),
/// every socket, timer and signal of the program runs on io_uring instead: Asio submits
/// receives and sends to the kernel and collects their completions, so a busy loop makes
/// a few io_uring_enter calls where epoll makes a read, a write and an epoll_wait per
/// message. docs/io_uring.md has the measurements and when it pays.
///
/// An io_uring build needs a kernel that allows io_uring; some refuse it (the sysctl
/// kernel.io_uring_disabled, a container's seccomp profile, a kernel before 5.10).
/// check_io_backend() finds out: coronet::server's constructor calls it, so a server
/// built for io_uring fails at start with an error saying so, never later and never
/// silently on another back end.
/// @endcode
#pragma once

#include <string_view>

namespace coronet {

/// "io_uring" in an io_uring build, "epoll" otherwise.
std::string_view io_backend() noexcept;

/// Throws std::system_error (the kernel's errno, and a message naming the cause and the
/// remedies) when this is an io_uring build and the kernel refuses io_uring. Does
/// nothing in an epoll build.
void check_io_backend();

}  // namespace coronet
