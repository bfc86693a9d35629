#include "coronet/core/io_backend.hpp"

#include <string>
#include <system_error>

#if defined(CORONET_IO_URING)
#include <liburing.h>
#endif

namespace coronet {

std::string_view io_backend() noexcept {
#if defined(CORONET_IO_URING)
  return "io_uring";
#else
  return "epoll";
#endif
}

void check_io_backend() {
#if defined(CORONET_IO_URING)
  // The same call Asio's io_uring service makes when the first socket or timer needs
  // it, with the same ring size (a kernel that charges rings to RLIMIT_MEMLOCK may allow
  // a small ring and refuse Asio's); made here first so that the failure names its
  // cause instead of surfacing as "io_uring_queue_init" from wherever the program
  // happened to open a socket.
  // (Asio 1.22's io_uring_service::ring_size, a private constant, hence repeated here.)
  constexpr unsigned asio_ring_size = 16384;
  ::io_uring ring{};
  const int r = ::io_uring_queue_init(asio_ring_size, &ring, 0);
  if (r < 0) {
    throw std::system_error(
        -r, std::system_category(),
        "coronet was built for io_uring (CORONET_IO_URING) but this kernel refuses it "
        "(io_uring_setup failed; is it disabled by the sysctl kernel.io_uring_disabled or "
        "by a seccomp profile?); run the epoll build, or allow io_uring");
  }
  ::io_uring_queue_exit(&ring);
#endif
}

}  // namespace coronet
