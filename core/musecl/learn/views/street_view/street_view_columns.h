// The street-view view's columns of the RegionTable: any number of photos per region.
#pragma once

#include <string>
#include <vector>

namespace musecl {

struct StreetViewColumns {
  std::vector<std::vector<std::string>> paths;  // [region][photo]
};

}  // namespace musecl
