#pragma once
// matbp/version.hpp — the version of this matbp build: CMake's project(matbp VERSION …), written
// as "matbp_version" into every JSON document matbp produces and printed by `matbp --version`.
//
// Usage (tests/json_writer_test.cpp, case version_is_cmake_project_version):
//   matbp::version()   // "0.1.0"

#include <string_view>

namespace matbp {

/// MAJOR.MINOR.PATCH of the library as built (the compile definition MATBP_VERSION_STRING of
/// version.cpp, set from CMake's PROJECT_VERSION).
std::string_view version() noexcept;

}  // namespace matbp
