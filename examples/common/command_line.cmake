# The example programs' and coronet-loadgen's command lines: CLI11 (Debian libcli11-dev,
# header-only), as one interface target (--version prints coronet::version()). Included
# from every directory that builds such a program, since tests/ and bench/ may add
# them without examples/CMakeLists.txt.
if(NOT TARGET coronet_example_cli)
  find_package(CLI11 2.1 CONFIG REQUIRED GLOBAL)
  add_library(coronet_example_cli INTERFACE)
  target_link_libraries(coronet_example_cli INTERFACE CLI11::CLI11)
  target_include_directories(coronet_example_cli INTERFACE ${CMAKE_CURRENT_LIST_DIR})
  # Every server takes --tls-cert/--tls-key, every client --tls (examples/common/tls.hpp).
  target_link_libraries(coronet_example_cli INTERFACE coronet::tls)
endif()
