// The POI view's columns of the RegionTable (paper eqs. 3 and 7). Standard types only: the QGIS
// side fills them.
#pragma once

#include <string>
#include <vector>

namespace musecl {

struct PoiColumns {
  // Counts per category, the category names being the columns (eq. 3).
  std::vector<std::string> categories;
  std::vector<std::vector<double>> counts;  // [region][category]
  // Words for skip-gram (eq. 7): each POI's category token and text tokens, per region (the
  // region's "sentence"), and the category tokens alone, whose word vectors are averaged.
  std::vector<std::vector<std::string>> words;
  std::vector<std::vector<std::string>> categoryTokens;
};

}  // namespace musecl
