// The remote-sensing view's columns of the RegionTable: one chip per region. Standard types only.
#pragma once

#include "musecl/radiometry.h"

#include <string>
#include <vector>

namespace musecl {

struct RemoteSensingColumns {
  std::vector<std::string> chipPaths;  // one per region; empty path: none
  // How the chips' bands become RGB, measured on the raster they were cut from (radiometry.h).
  // Undefined: each chip is stretched on its own (models from before the radiometry).
  Radiometry radiometry;
};

}  // namespace musecl
