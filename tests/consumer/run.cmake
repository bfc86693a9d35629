# Installs the built coronet into a scratch prefix, then configures, builds and runs
# tests/consumer against it with find_package(coronet): what a user's project does.
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)

step(${CMAKE_COMMAND} --install "${BUILD_DIR}" --prefix "${prefix}")
set(flags "")
if(SANITIZE)
  set(flags "-fsanitize=${SANITIZE} -fno-sanitize-recover=all")
endif()
step(${CMAKE_COMMAND} -S "${SOURCE_DIR}/tests/consumer" -B "${WORK_DIR}/build" -G "${GENERATOR}"
     -DCMAKE_CXX_COMPILER=${CXX_COMPILER} -DCMAKE_PREFIX_PATH=${prefix}
     "-DCMAKE_CXX_FLAGS=${flags}" "-DCMAKE_EXE_LINKER_FLAGS=${flags}")
step(${CMAKE_COMMAND} --build "${WORK_DIR}/build")
step(bash "${SOURCE_DIR}/tests/consumer/run_consumer.sh" "${WORK_DIR}/build/consumer" "${SOURCE_DIR}")
