// RegionLocator against a brute-force scan of every region, for the grid and lattice paths.
#include "musecl/geo/region_locator.h"
#include "musecl/geo/hex_cover.h"

#include <gtest/gtest.h>

#include <random>

using musecl::HexCell;
using musecl::HexLattice;
using musecl::RegionLocator;
using musecl::RegionRings;
using musecl::XY;

namespace {
std::int64_t bruteForce(const std::vector<RegionRings> &regions, XY p) {
  for (std::size_t i = 0; i < regions.size(); ++i)
    if (musecl::pointInRings(regions[i], p)) return static_cast<std::int64_t>(i);
  return -1;
}

std::vector<RegionRings> hexRegions(const HexLattice &lattice, std::vector<HexCell> &cells) {
  std::vector<RegionRings> regions;
  for (std::int64_t col = 100; col < 130; ++col)
    for (std::int64_t row = 2000; row < 2030; ++row) {
      const auto v = lattice.vertices({col, row});
      regions.push_back({musecl::Ring(v.begin(), v.end())});
      cells.push_back({col, row});
    }
  return regions;
}
}  // namespace

TEST(RegionLocator, AgreesWithBruteForceOnIrregularPolygonsWithHoles) {
  std::vector<RegionRings> regions{
      {{{0, 0}, {10, 0}, {10, 10}, {0, 10}}, {{2, 2}, {2, 4}, {4, 4}, {4, 2}}},  // square with a hole
      {{{10, 0}, {25, 3}, {18, 12}, {10, 10}}},                                  // shares the edge x=10
      {{{30, 30}, {40, 30}, {35, 40}}},
      {{{3, 3}, {3.5, 3}, {3.5, 3.5}}},  // an island inside the hole of region 0
  };
  const RegionLocator locator(regions);
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> u(-5, 45);
  for (int i = 0; i < 20000; ++i) {
    const XY p{u(rng), u(rng)};
    ASSERT_EQ(locator.locate(p), bruteForce(regions, p)) << p.x << "," << p.y;
  }
  EXPECT_EQ(locator.locate({3, 3.2}), -1) << "inside the hole, not in the island";
  EXPECT_EQ(locator.locate({3.4, 3.1}), 3);
  EXPECT_EQ(locator.locate({1000, 1000}), -1);
  EXPECT_EQ(locator.locate({NAN, 1}), -1);
}

TEST(RegionLocator, PointsOnSharedEdgesGoToExactlyOneRegion) {
  // A 4x4 block of unit squares: every lattice point of the block lies on shared edges/corners.
  std::vector<RegionRings> regions;
  for (int y = 0; y < 4; ++y)
    for (int x = 0; x < 4; ++x)
      regions.push_back({{{double(x), double(y)}, {x + 1.0, double(y)}, {x + 1.0, y + 1.0}, {double(x), y + 1.0}}});
  const RegionLocator locator(regions);
  for (int y = 1; y < 4; ++y)
    for (int x = 1; x < 4; ++x) {
      const XY p{double(x), double(y)};
      // The locator must give each boundary point to the one region whose ring test claims it.
      auto claimedBy = [&](XY q, int &count) {
        int region = -1;
        count = 0;
        for (std::size_t r = 0; r < regions.size(); ++r)
          if (musecl::pointInRings(regions[r], q)) region = static_cast<int>(r), ++count;
        return region;
      };
      int containing = 0;
      const int cornerOwner = claimedBy(p, containing);
      EXPECT_EQ(containing, 1) << "corner " << x << "," << y;
      EXPECT_EQ(locator.locate(p), cornerOwner) << "corner " << x << "," << y;
      for (const XY onEdge : {XY{x + 0.5, double(y)}, XY{double(x), y + 0.5}}) {
        const int edgeOwner = claimedBy(onEdge, containing);
        EXPECT_EQ(containing, 1) << "edge " << onEdge.x << "," << onEdge.y;
        EXPECT_EQ(locator.locate(onEdge), edgeOwner) << "edge " << onEdge.x << "," << onEdge.y;
      }
    }
}

TEST(RegionLocator, HexLatticePathAgreesWithTheGridPath) {
  const HexLattice lattice(75.0);
  std::vector<HexCell> cells;
  const std::vector<RegionRings> regions = hexRegions(lattice, cells);
  const RegionLocator grid(regions);
  RegionLocator fast(regions);
  ASSERT_TRUE(fast.useHexLattice(75.0, cells));
  ASSERT_TRUE(fast.usesHexLattice());
  std::mt19937 rng(11);
  const XY c0 = lattice.centre({100, 2000});
  const XY c1 = lattice.centre({129, 2029});
  std::uniform_real_distribution<double> ux(c0.x - 100, c1.x + 100), uy(c0.y - 100, c1.y + 100);
  int disagreements = 0;
  for (int i = 0; i < 20000; ++i) {
    const XY p{ux(rng), uy(rng)};
    const auto a = grid.locate(p);
    const auto b = fast.locate(p);
    // Both give a region exactly when the point is inside one; only the owner of an exact shared
    // edge may differ, which random doubles essentially never hit.
    EXPECT_EQ(a < 0, b < 0) << p.x << "," << p.y;
    disagreements += a != b ? 1 : 0;
  }
  EXPECT_EQ(disagreements, 0);
}

TEST(RegionLocator, HexLatticeIsRefusedWhenGeometriesDoNotMatchTheCells) {
  const HexLattice lattice(75.0);
  std::vector<HexCell> cells;
  const std::vector<RegionRings> regions = hexRegions(lattice, cells);
  RegionLocator locator(regions);
  std::vector<HexCell> shifted = cells;
  shifted[5].row += 1;  // region 5 claims a cell it is not in (and duplicates region 6's)
  EXPECT_FALSE(locator.useHexLattice(75.0, shifted));
  EXPECT_FALSE(locator.useHexLattice(80.0, cells)) << "wrong side";
  EXPECT_FALSE(locator.usesHexLattice());
}
