// The POI-count table of musecl:poifeatures, the POI distribution that MuseCL compares regions by
// (paper eq. 3), from POIs already located in regions: which category gets which column (most
// frequent first, ties by name, so that Top-K is a prefix and the rest share one "other" column),
// the counts per region and column, and the long table of non-zero (region, category) counts.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace musecl {

// One POI: (region index, category index into the category names).
using LocatedPoi = std::pair<std::uint32_t, std::uint32_t>;

struct PoiCategoryColumns {
  // Every category, by descending number of POIs, ties by ascending name (byte order).
  std::vector<std::uint32_t> order;
  // Categories with a column of their own: order[0 .. kept), column r for order[r].
  std::size_t kept = 0;
  // The other categories are summed in one more column, number `kept`.
  bool hasOther = false;
  // Per category index: its column (`kept` for a category summed in "other").
  std::vector<int> columnOf;

  std::size_t columns() const { return kept + (hasOther ? 1 : 0); }
};

// `categories`: distinct names, indexed by the second member of `located`. `topK` <= 0 gives every
// category a column; otherwise the topK most frequent get one.
PoiCategoryColumns rankPoiCategories(const std::vector<std::string> &categories, const std::vector<LocatedPoi> &located,
                                     int topK);

struct PoiCounts {
  std::vector<double> counts;    // regions x columns.columns(), row-major: POIs per region and column
  std::vector<double> distinct;  // per region: number of categories present
};

// `located` sorted (equal pairs adjacent, as std::sort leaves them); every region index < `regions`.
PoiCounts countPoisPerColumn(const PoiCategoryColumns &columns, const std::vector<LocatedPoi> &located,
                             std::size_t regions);

struct PoiPairCount {
  std::uint32_t region = 0;
  std::uint32_t category = 0;
  double count = 0;
};

// One entry per distinct (region, category) pair of the sorted `located`, in that order.
std::vector<PoiPairCount> poiPairCounts(const std::vector<LocatedPoi> &located);

}  // namespace musecl
