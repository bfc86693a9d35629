/// @file
/// @code{.unparsed}
/// The version of coronet: the headers' (macros) and the compiled library's
/// (coronet::version()).
///
///     static_assert(CORONET_VERSION_MAJOR == 0);
///     std::cout << "coronet " << coronet::version() << '\n';   // "0.3.0"
///
/// Semantic versioning (docs/versioning.md): while the major version is 0, a change of
/// the minor version may break programs; from 1.0 on only a new major version does.
/// CMakeLists.txt's project(VERSION) is the one source: the build fails when this file
/// says otherwise.
/// @endcode
#pragma once

#include <string_view>

/// The major version: changes that break programs (API, ABI, behaviour), from 1.0 on.
#define CORONET_VERSION_MAJOR 0
/// The minor version: additions; while the major version is 0, also breaking changes.
#define CORONET_VERSION_MINOR 3
/// The patch version: fixes that change no interface.
#define CORONET_VERSION_PATCH 0
/// The version as text, "MAJOR.MINOR.PATCH".
#define CORONET_VERSION_STRING "0.3.0"
/// The version as one number, MAJOR * 10000 + MINOR * 100 + PATCH, for `#if`.
#define CORONET_VERSION \
  (CORONET_VERSION_MAJOR * 10000 + CORONET_VERSION_MINOR * 100 + CORONET_VERSION_PATCH)

namespace coronet {

/// The version of the library the program is linked with ("0.3.0"), which may differ
/// from CORONET_VERSION_STRING, the headers' it was compiled against, when a shared
/// library was replaced.
std::string_view version() noexcept;

}  // namespace coronet
