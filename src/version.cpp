// coronet::version(): compiled into the library, so a program learns which library it
// runs with, not only which headers it was built against.
#include "coronet/version.hpp"

namespace coronet {

std::string_view version() noexcept {
  return CORONET_VERSION_STRING;
}

}  // namespace coronet
