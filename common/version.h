// What this build is: eventsd --version, eventctl --version and the eventsd_build_info metric.
#pragma once

#include <string_view>

namespace eventsd {

// The project's version (CMakeLists.txt's project(VERSION)), e.g. "0.1.0".
std::string_view version();
// The git commit the build was made from (12 hex digits, "-dirty" when the work tree had changes),
// or "unknown" when it was not built from a git checkout.
std::string_view revision();

}  // namespace eventsd
