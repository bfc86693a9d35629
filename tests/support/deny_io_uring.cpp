// deny_io_uring: runs a program with io_uring refused by the kernel, as a container's
// seccomp profile or the sysctl kernel.io_uring_disabled refuse it, for the test that an
// io_uring build fails at start with a clear error (and an epoll build does not care).
//   deny_io_uring PROGRAM [ARGS...]
// A seccomp filter makes io_uring_setup fail with EPERM; everything else is allowed.
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>

#if defined(__x86_64__)
#define DENY_IO_URING_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define DENY_IO_URING_ARCH AUDIT_ARCH_AARCH64
#endif

int main(int argc, char** argv) {
#if !defined(DENY_IO_URING_ARCH)
  std::fprintf(stderr, "deny_io_uring: no seccomp filter for this architecture\n");
  return 77;  // the test skips on this exit status
#else
  if (argc < 2) {
    std::fprintf(stderr, "usage: deny_io_uring PROGRAM [ARGS...]\n");
    return 2;
  }
  // The filter: io_uring_setup returns EPERM, every other call is allowed; a call made
  // under another architecture's ABI is killed rather than let through unfiltered.
  sock_filter filter[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, DENY_IO_URING_ARCH, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  sock_fprog program{static_cast<unsigned short>(sizeof filter / sizeof filter[0]), filter};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
      prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &program) != 0) {
    std::fprintf(stderr, "deny_io_uring: cannot install the filter: %s\n", std::strerror(errno));
    return 2;
  }
  execv(argv[1], argv + 1);
  std::fprintf(stderr, "deny_io_uring: cannot run %s: %s\n", argv[1], std::strerror(errno));
  return 2;
#endif
}
