#include "musecl/geo/poi_ranking.h"

#include <algorithm>

namespace musecl {

PoiCategoryColumns rankPoiCategories(const std::vector<std::string> &categories, const std::vector<LocatedPoi> &located,
                                     int topK) {
  std::vector<double> totals(categories.size(), 0.0);
  for (const auto &pair : located) totals[pair.second] += 1;
  PoiCategoryColumns c;
  c.order.resize(categories.size());
  for (std::uint32_t i = 0; i < c.order.size(); ++i) c.order[i] = i;
  // Names are distinct, so this is a total order and the result does not depend on the sort.
  std::sort(c.order.begin(), c.order.end(), [&](std::uint32_t a, std::uint32_t b) {
    return totals[a] != totals[b] ? totals[a] > totals[b] : categories[a] < categories[b];
  });
  c.kept = topK > 0 ? std::min<std::size_t>(static_cast<std::size_t>(topK), c.order.size()) : c.order.size();
  c.hasOther = c.kept < c.order.size();
  c.columnOf.assign(categories.size(), -1);
  for (std::size_t rank = 0; rank < c.order.size(); ++rank)
    c.columnOf[c.order[rank]] = static_cast<int>(std::min(rank, c.kept));
  return c;
}

PoiCounts countPoisPerColumn(const PoiCategoryColumns &columns, const std::vector<LocatedPoi> &located,
                             std::size_t regions) {
  const std::size_t width = columns.columns();
  PoiCounts out;
  out.counts.assign(regions * width, 0.0);
  out.distinct.assign(regions, 0.0);
  for (std::size_t i = 0; i < located.size(); ++i) {
    out.counts[located[i].first * width + static_cast<std::size_t>(columns.columnOf[located[i].second])] += 1;
    if (i == 0 || located[i] != located[i - 1]) out.distinct[located[i].first] += 1;
  }
  return out;
}

std::vector<PoiPairCount> poiPairCounts(const std::vector<LocatedPoi> &located) {
  std::vector<PoiPairCount> out;
  for (std::size_t i = 0; i < located.size();) {
    std::size_t j = i;
    while (j < located.size() && located[j] == located[i]) ++j;
    out.push_back({located[i].first, located[i].second, static_cast<double>(j - i)});
    i = j;
  }
  return out;
}

}  // namespace musecl
