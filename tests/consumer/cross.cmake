# Builds coronet in Release with one compiler (optionally as shared libraries, and with
# Asio compiled in or header-only), installs it into a scratch prefix, then builds
# tests/consumer against it in Release with a compiler (the same or another) and runs
# it (tests/consumer/run_consumer.sh): a package built header-only must not tie its users
# to the compiler that built it, and one with Asio compiled in must hand its users the
# definition that makes the program hold one Asio.
#
#   cmake -DSOURCE_DIR=... -DWORK_DIR=... -DGENERATOR=Ninja -DLIB_COMPILER=g++
#         -DCONSUMER_COMPILER=clang++ -DSHARED=ON -DSEPARATE_ASIO=OFF -P cross.cmake
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)

set(launcher "")
find_program(ccache ccache)
if(ccache)
  set(launcher "-DCMAKE_CXX_COMPILER_LAUNCHER=${ccache}")
endif()
step(${CMAKE_COMMAND} -S "${SOURCE_DIR}" -B "${WORK_DIR}/lib" -G "${GENERATOR}"
     -DCMAKE_CXX_COMPILER=${LIB_COMPILER} ${launcher} -DCMAKE_BUILD_TYPE=Release
     -DBUILD_SHARED_LIBS=${SHARED} -DCORONET_BUILD_TESTS=OFF -DCORONET_BUILD_EXAMPLES=OFF
     -DCORONET_ASIO_SEPARATE_COMPILATION=${SEPARATE_ASIO} -DCORONET_INSTALL=ON)
step(${CMAKE_COMMAND} --build "${WORK_DIR}/lib")
step(${CMAKE_COMMAND} --install "${WORK_DIR}/lib" --prefix "${prefix}")
step(${CMAKE_COMMAND} -S "${SOURCE_DIR}/tests/consumer" -B "${WORK_DIR}/consumer" -G "${GENERATOR}"
     -DCMAKE_CXX_COMPILER=${CONSUMER_COMPILER} -DCMAKE_BUILD_TYPE=Release
     -DCMAKE_PREFIX_PATH=${prefix})
step(${CMAKE_COMMAND} --build "${WORK_DIR}/consumer")
step(bash "${SOURCE_DIR}/tests/consumer/run_consumer.sh" "${WORK_DIR}/consumer/consumer" "${SOURCE_DIR}")

# Asio compiled in: the other compiler cannot link against it, and find_package says so
# at configure time rather than leaving a link error (or two Asios) to find.
if(SEPARATE_ASIO)
  execute_process(
    COMMAND ${CMAKE_COMMAND} -S "${SOURCE_DIR}/tests/consumer" -B "${WORK_DIR}/other" -G "${GENERATOR}"
            -DCMAKE_CXX_COMPILER=${OTHER_COMPILER} -DCMAKE_PREFIX_PATH=${prefix}
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(rc EQUAL 0 OR NOT err MATCHES "with Asio compiled into it")
    message(FATAL_ERROR "the other compiler was not refused clearly (${rc}):\n${out}\n${err}")
  endif()
  message(STATUS "the other compiler is refused: ok")
endif()
