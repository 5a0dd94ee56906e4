#include "matbp/version.hpp"

#ifndef MATBP_VERSION_STRING
#error "MATBP_VERSION_STRING must be defined by the build (CMakeLists.txt: PROJECT_VERSION)"
#endif

namespace matbp {

std::string_view version() noexcept { return MATBP_VERSION_STRING; }

}  // namespace matbp
