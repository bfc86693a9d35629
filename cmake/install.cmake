# Install rules: headers, libraries, the CMake package (relocatable), pkg-config files
# (relocatable), and CPack's Debian package. Components: `dev` (everything a program
# needs to build against coronet) and `examples` (the example programs and
# coronet-make-cert, installed by examples/CMakeLists.txt when the examples are built).
#
# A static and a shared build may be installed into one prefix (scripts/package.sh does):
# each installs its own export file, coronet-static-targets.cmake or
# coronet-shared-targets.cmake, and coronetConfig.cmake picks one (docs/packaging.md).
include(CMakePackageConfigHelpers)

if(BUILD_SHARED_LIBS)
  set(_coronet_kind shared)
else()
  set(_coronet_kind static)
endif()
set(_coronet_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/coronet)

install(TARGETS ${_coronet_targets} EXPORT coronetTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev
                NAMELINK_COMPONENT dev)
install(DIRECTORY include/coronet DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev)
install(EXPORT coronetTargets NAMESPACE coronet:: DESTINATION ${_coronet_cmake_dir}
        FILE coronet-${_coronet_kind}-targets.cmake COMPONENT dev)
configure_package_config_file(cmake/coronetConfig.cmake.in
  ${PROJECT_BINARY_DIR}/coronetConfig.cmake INSTALL_DESTINATION ${_coronet_cmake_dir})
# Below 1.0 every minor version may break (docs/versioning.md); from 1.0 the major.
if(PROJECT_VERSION_MAJOR EQUAL 0)
  set(_coronet_compatibility SameMinorVersion)
else()
  set(_coronet_compatibility SameMajorVersion)
endif()
write_basic_package_version_file(${PROJECT_BINARY_DIR}/coronetConfigVersion.cmake
  COMPATIBILITY ${_coronet_compatibility})
install(FILES ${PROJECT_BINARY_DIR}/coronetConfig.cmake
              ${PROJECT_BINARY_DIR}/coronetConfigVersion.cmake
              cmake/FindAsio.cmake
        DESTINATION ${_coronet_cmake_dir} COMPONENT dev)

# pkg-config: coronet.pc, and one per optional target with its Requires. The prefix is
# found from the file's own place (${pcfiledir}), so the files work wherever the
# package is unpacked, as the CMake package does.
file(RELATIVE_PATH _coronet_pc_to_prefix
  ${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig ${CMAKE_INSTALL_PREFIX})
string(REGEX REPLACE "/$" "" _coronet_pc_to_prefix "${_coronet_pc_to_prefix}")
set(CORONET_PC_PREFIX "\${pcfiledir}/${_coronet_pc_to_prefix}")
# What every user's translation unit must agree on (one Asio per program, see
# CMakeLists.txt), and what clang needs to see Asio's coroutine support.
set(CORONET_PC_CFLAGS "-DASIO_STANDALONE -DASIO_NO_DEPRECATED -DASIO_HAS_CO_AWAIT -DASIO_HAS_STD_COROUTINE")
if(CORONET_ASIO_SEPARATE_COMPILATION)
  string(APPEND CORONET_PC_CFLAGS " -DASIO_SEPARATE_COMPILATION")
endif()
if(CORONET_IO_URING)
  string(APPEND CORONET_PC_CFLAGS " -DASIO_HAS_IO_URING -DASIO_DISABLE_EPOLL -DCORONET_IO_URING")
endif()
set(_coronet_pc coronet coronet-redis)
if(CORONET_JSON)
  list(APPEND _coronet_pc coronet-json)
endif()
if(CORONET_TLS)
  list(APPEND _coronet_pc coronet-tls)
endif()
foreach(_pc ${_coronet_pc})
  configure_file(cmake/pkgconfig/${_pc}.pc.in ${PROJECT_BINARY_DIR}/pkgconfig/${_pc}.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/pkgconfig/${_pc}.pc
          DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT dev)
endforeach()

# The Debian package (scripts/package.sh): coronet-dev and coronet-examples.
set(CPACK_PACKAGE_NAME coronet)
set(CPACK_PACKAGE_VENDOR "coronet")
set(CPACK_PACKAGE_CONTACT "coronet developers <coronet@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_GENERATOR DEB)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL dev examples)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEV_PACKAGE_NAME coronet-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_DEV_DESCRIPTION "C++20 coroutine TCP servers on standalone Asio (development files)
Headers, static and shared libraries, the CMake package (find_package(coronet)) and
pkg-config files (coronet, coronet-json, coronet-tls, coronet-redis) of coronet: a
server written as sequential code with co_await; line, length-prefixed and custom
framings; JSON and JSON-RPC 2.0, TLS, the PROXY protocol, WebSocket, a Redis client
and Prometheus metrics; limits against hostile peers and a graceful shutdown.")
# What a program built against the package needs: Asio's headers (coronet's use it),
# g++ or clang++ and libstdc++, OpenSSL's (coronet::tls) and nlohmann's (coronet::json).
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS
  "libasio-dev (>= 1:1.22), libssl-dev (>= 3), nlohmann-json3-dev (>= 3.10), libc6, libstdc++6, libssl3")
set(CPACK_DEBIAN_EXAMPLES_PACKAGE_NAME coronet-examples)
set(CPACK_DEBIAN_EXAMPLES_PACKAGE_SECTION net)
set(CPACK_DEBIAN_EXAMPLES_DESCRIPTION "coronet's example programs: chat, echo, JSON-RPC and key-value servers
coronet-chat-server and coronet-chat-client (a chat room with a web page and Redis
scale-out), coronet-echo-server and coronet-echo-client, coronet-rpc-server and
coronet-rpc-client (JSON-RPC 2.0), coronet-kv-server (a Redis-protocol key-value
store), and coronet-make-cert for trying TLS on one machine. The programs are linked
statically against coronet.")
set(CPACK_DEBIAN_EXAMPLES_PACKAGE_DEPENDS "libc6, libstdc++6, libssl3, openssl")
set(CPACK_OUTPUT_FILE_PREFIX ${PROJECT_BINARY_DIR}/package)
include(CPack)
