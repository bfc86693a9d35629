// coronet::connection: the handle a handler gets; its state lives in
// detail/connection_state.cpp.
#include "coronet/core/connection.hpp"

namespace coronet {

connection::connection(socket_type socket)
    : state_(std::make_shared<detail::connection_state>(std::move(socket))) {}

void connection::shutdown_send() {
  if (state_->tls && state_->socket.is_open()) state_->tls->send_close_notify();
  std::error_code ec;
  state_->socket.shutdown(asio::socket_base::shutdown_send, ec);
  if (ec && ec != asio::error::not_connected) throw_error(ec, "shutdown");
}

void connection::close() {
  std::error_code ignored;
  state_->socket.close(ignored);
}

std::optional<tls_info> connection::tls() const {
  if (!is_tls()) return std::nullopt;
  return state_->tls->info();
}

connection::endpoint_type connection::local_endpoint() const {
  return state_->socket.local_endpoint();
}

}  // namespace coronet
