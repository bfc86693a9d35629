// The methods the JSON-RPC 2.0 specification's examples call, as a library so that
// rpc_server and the tests serve exactly the same thing.
#pragma once

#include <coronet/rpc/router.hpp>

namespace examples {

// subtract ([minuend, subtrahend] or {"minuend", "subtrahend"}), sum, update,
// notify_hello, notify_sum and get_data. "foobar" deliberately does not exist.
void add_spec_methods(coronet::rpc::router& rpc);

}  // namespace examples
