# Builds coronet with one compiler (optionally as shared libraries), installs it into a
# scratch prefix, then builds and runs tests/consumer against it with another compiler:
# the installed package must not tie its users to the compiler that built it.
#
#   cmake -DSOURCE_DIR=... -DWORK_DIR=... -DGENERATOR=Ninja -DLIB_COMPILER=g++
#         -DCONSUMER_COMPILER=clang++ -DSHARED=ON -P cross.cmake
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)

set(launcher "")
find_program(ccache ccache)
if(ccache)
  set(launcher "-DCMAKE_CXX_COMPILER_LAUNCHER=${ccache}")
endif()
step(${CMAKE_COMMAND} -S "${SOURCE_DIR}" -B "${WORK_DIR}/lib" -G "${GENERATOR}"
     -DCMAKE_CXX_COMPILER=${LIB_COMPILER} ${launcher} -DCMAKE_BUILD_TYPE=Release
     -DBUILD_SHARED_LIBS=${SHARED} -DCORONET_BUILD_TESTS=OFF -DCORONET_BUILD_EXAMPLES=OFF
     -DCORONET_INSTALL=ON)
step(${CMAKE_COMMAND} --build "${WORK_DIR}/lib")
step(${CMAKE_COMMAND} --install "${WORK_DIR}/lib" --prefix "${prefix}")
step(${CMAKE_COMMAND} -S "${SOURCE_DIR}/tests/consumer" -B "${WORK_DIR}/consumer" -G "${GENERATOR}"
     -DCMAKE_CXX_COMPILER=${CONSUMER_COMPILER} -DCMAKE_PREFIX_PATH=${prefix})
step(${CMAKE_COMMAND} --build "${WORK_DIR}/consumer")
step("${WORK_DIR}/consumer/consumer")
