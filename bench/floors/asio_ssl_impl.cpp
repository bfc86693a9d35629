// asio::ssl compiled once for the benchmark programs that use it (coronet-loadgen and
// asio_ssl_echo_server), as src/asio_impl.cpp compiles the rest of Asio
// (ASIO_SEPARATE_COMPILATION). coronet itself does not use asio::ssl.
#include <asio/ssl/impl/src.hpp>
