/// @file
/// @code{.unparsed}
/// coronet::tls: TLS 1.2 and 1.3 through OpenSSL (target coronet::tls), the only part
/// of coronet that needs OpenSSL. Contexts and their options are in tls/context.hpp.
///
///   #include <coronet/coronet.hpp>
///   #include <coronet/tls.hpp>   // CMake: target_link_libraries(app PRIVATE coronet::tls)
/// @endcode
#pragma once

#include "coronet/core/tls_context.hpp"
#include "coronet/tls/context.hpp"
