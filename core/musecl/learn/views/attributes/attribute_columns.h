// The region-attribute view's columns of the RegionTable: numeric fields the analyst holds on the
// regions themselves (census counts, land-use shares, POI category counts).
#pragma once

#include <string>
#include <vector>

namespace musecl {

struct AttributeColumns {
  std::vector<std::string> names;           // the fields, in the order of every row
  std::vector<std::vector<double>> values;  // [region][field]; an empty row: a NULL in some field
};

}  // namespace musecl
