// POI category columns (musecl:poifeatures): the ranking, the Top-K cut with its "other" column,
// the per-region counts and the long table, on a hand-counted example.
#include "musecl/geo/poi_ranking.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <tuple>

using musecl::LocatedPoi;
using musecl::PoiCategoryColumns;

namespace {

// Category indexes: cafe 0, bar 1, shop 2, atm 3. Totals: atm 5, bar 3, cafe 3, shop 1.
const std::vector<std::string> kCategories{"cafe", "bar", "shop", "atm"};

std::vector<LocatedPoi> sortedPois() {
  std::vector<LocatedPoi> located{{1, 3}, {0, 3}, {1, 1}, {2, 0}, {1, 3}, {0, 0},
                                  {1, 2}, {1, 1}, {0, 3}, {1, 3}, {2, 0}, {1, 1}};
  std::sort(located.begin(), located.end());
  return located;
}

}  // namespace

TEST(PoiRanking, MostFrequentFirstTiesByName) {
  const PoiCategoryColumns c = musecl::rankPoiCategories(kCategories, sortedPois(), 0);
  EXPECT_EQ(c.order, (std::vector<std::uint32_t>{3, 1, 0, 2}))
      << "atm 5, then bar and cafe (3 each) by name, then shop";
  EXPECT_EQ(c.kept, 4u);
  EXPECT_FALSE(c.hasOther);
  EXPECT_EQ(c.columns(), 4u);
  EXPECT_EQ(c.columnOf, (std::vector<int>{2, 1, 3, 0}));
}

TEST(PoiRanking, TiesCompareNamesByteWise) {
  // Upper case sorts before lower case: the order is the names' bytes, not a locale's.
  const std::vector<std::string> names{"apple", "Zoo", "mall"};
  const std::vector<LocatedPoi> located{{0, 0}, {0, 1}, {0, 2}};
  EXPECT_EQ(musecl::rankPoiCategories(names, located, 0).order, (std::vector<std::uint32_t>{1, 0, 2}));
}

TEST(PoiRanking, TopKKeepsAPrefixAndSumsTheRestInOther) {
  const PoiCategoryColumns c = musecl::rankPoiCategories(kCategories, sortedPois(), 2);
  EXPECT_EQ(c.kept, 2u);
  EXPECT_TRUE(c.hasOther);
  EXPECT_EQ(c.columns(), 3u);
  EXPECT_EQ(c.columnOf, (std::vector<int>{2, 1, 2, 0})) << "cafe and shop share cat_other (column 2)";

  const PoiCategoryColumns all = musecl::rankPoiCategories(kCategories, sortedPois(), 10);
  EXPECT_EQ(all.kept, 4u) << "K above the number of categories keeps them all";
  EXPECT_FALSE(all.hasOther);
}

TEST(PoiRanking, NoPoisKeepsCategoriesInIndexOrder) {
  const PoiCategoryColumns c = musecl::rankPoiCategories({"b", "a"}, {}, 0);
  EXPECT_EQ(c.order, (std::vector<std::uint32_t>{1, 0})) << "all zero: by name";
  EXPECT_TRUE(musecl::rankPoiCategories({}, {}, 3).order.empty());
}

TEST(PoiRanking, CountsPerRegionAndColumn) {
  const std::vector<LocatedPoi> located = sortedPois();
  const PoiCategoryColumns c = musecl::rankPoiCategories(kCategories, located, 2);
  const musecl::PoiCounts n = musecl::countPoisPerColumn(c, located, 4);
  // Columns atm, bar, other. Region 0: atm 2, cafe 1. Region 1: atm 3, bar 3, shop 1. Region 2:
  // cafe 2. Region 3: nothing.
  EXPECT_EQ(n.counts, (std::vector<double>{2, 0, 1, 3, 3, 1, 0, 0, 2, 0, 0, 0}));
  EXPECT_EQ(n.distinct, (std::vector<double>{2, 3, 1, 0})) << "categories present, before the Top-K cut";
}

TEST(PoiRanking, LongTableOneRowPerRegionAndCategory) {
  const std::vector<musecl::PoiPairCount> rows = musecl::poiPairCounts(sortedPois());
  ASSERT_EQ(rows.size(), 6u);
  const std::vector<std::tuple<std::uint32_t, std::uint32_t, double>> expected{{0, 0, 1}, {0, 3, 2}, {1, 1, 3},
                                                                               {1, 2, 1}, {1, 3, 3}, {2, 0, 2}};
  for (std::size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i].region, std::get<0>(expected[i])) << i;
    EXPECT_EQ(rows[i].category, std::get<1>(expected[i])) << i;
    EXPECT_EQ(rows[i].count, std::get<2>(expected[i])) << i;
  }
  EXPECT_TRUE(musecl::poiPairCounts({}).empty());
}
