// Hex lattice invariants. Tolerances: areas and lengths to 1e-9 relative (double arithmetic on
// coordinates up to 1e7); shared vertices are compared for exact equality, which is the point of
// computing them from integer vertex-grid positions.
#include "musecl/geo/hex_lattice.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <set>
#include <stdexcept>

using musecl::HexCell;
using musecl::HexLattice;
using musecl::XY;

namespace {

// Shoelace relative to the first vertex: with absolute coordinates near 1e7 the products would
// cancel catastrophically and measure the test's arithmetic rather than the lattice.
double polygonArea(const std::array<XY, 6> &v) {
  double twice = 0;
  for (int k = 0; k < 6; ++k) {
    const XY a{v[k].x - v[0].x, v[k].y - v[0].y};
    const XY b{v[(k + 1) % 6].x - v[0].x, v[(k + 1) % 6].y - v[0].y};
    twice += a.x * b.y - b.x * a.y;
  }
  return twice / 2.0;
}

// Point in closed convex CCW polygon.
bool insideHexagon(const std::array<XY, 6> &v, XY p, double tol) {
  for (int k = 0; k < 6; ++k) {
    const XY a = v[k];
    const XY b = v[(k + 1) % 6];
    const double cross = (b.x - a.x) * (p.y - a.y) - (b.y - a.y) * (p.x - a.x);
    if (cross < -tol) return false;
  }
  return true;
}

}  // namespace

TEST(HexLattice, RejectsNonPositiveOrNonFiniteSide) {
  EXPECT_THROW(HexLattice{0.0}, std::invalid_argument);
  EXPECT_THROW(HexLattice{-5.0}, std::invalid_argument);
  EXPECT_THROW(HexLattice{std::nan("")}, std::invalid_argument);
  EXPECT_THROW(HexLattice{INFINITY}, std::invalid_argument);
}

TEST(HexLattice, SideAreaAndWidthsFollowTheStatedConvention) {
  const HexLattice lattice(500.0);
  EXPECT_NEAR(lattice.area(), 649519.052838329, 1e-6);
  EXPECT_NEAR(lattice.flatToFlatWidth(), 866.0254037844386, 1e-9);
  for (const HexCell cell : {HexCell{0, 0}, HexCell{-7, 3}, HexCell{12345, -6789}}) {
    const auto v = lattice.vertices(cell);
    const XY c = lattice.centre(cell);
    EXPECT_NEAR(polygonArea(v), lattice.area(), 1e-9 * lattice.area()) << "counter-clockwise, regular";
    for (int k = 0; k < 6; ++k) {
      const double edge = std::hypot(v[(k + 1) % 6].x - v[k].x, v[(k + 1) % 6].y - v[k].y);
      EXPECT_NEAR(edge, 500.0, 1e-6) << "side length";
      EXPECT_NEAR(std::hypot(v[k].x - c.x, v[k].y - c.y), 500.0, 1e-6) << "circumradius equals side";
    }
    EXPECT_DOUBLE_EQ(v[0].y, v[3].y) << "flat-topped: east and west vertices on the centre line";
  }
}

TEST(HexLattice, NeighboursShareOneFullEdgeExactly) {
  const HexLattice lattice(123.456);
  for (const HexCell cell :
       {HexCell{0, 0}, HexCell{1, 0}, HexCell{-1, -1}, HexCell{4001, 5000}, HexCell{-4001, -5000}}) {
    const auto mine = lattice.vertices(cell);
    const auto neighbours = lattice.neighbours(cell);
    std::set<std::pair<std::int64_t, std::int64_t>> distinct;
    for (std::size_t k = 0; k < 6; ++k) {
      const HexCell n = neighbours[k];
      distinct.insert({n.col, n.row});
      const auto theirs = lattice.vertices(n);
      int shared = 0;
      for (const XY &a : mine)
        for (const XY &b : theirs) shared += (a.x == b.x && a.y == b.y) ? 1 : 0;  // exact, not approximate
      EXPECT_EQ(shared, 2) << "cell (" << cell.col << "," << cell.row << ") neighbour " << k;
      const XY cm = lattice.centre(cell);
      const XY cn = lattice.centre(n);
      EXPECT_NEAR(std::hypot(cn.x - cm.x, cn.y - cm.y), lattice.flatToFlatWidth(), 1e-9 * 1e7);
    }
    EXPECT_EQ(distinct.size(), 6u);
  }
}

TEST(HexLattice, CellContainingRoundTripsCentresAndVerticesNeighbourhood) {
  const HexLattice lattice(250.0);
  for (std::int64_t col = -20; col <= 20; ++col)
    for (std::int64_t row = -20; row <= 20; ++row) {
      const HexCell cell{col, row};
      EXPECT_EQ(lattice.cellContaining(lattice.centre(cell)), cell);
    }
}

TEST(HexLattice, EveryPointLiesInExactlyTheCellReturnedNoGapsNoOverlaps) {
  // Random points over a UTM-sized extent: the returned cell's closed hexagon contains the point,
  // and no neighbour contains it in its interior (so cells neither overlap nor leave gaps).
  const HexLattice lattice(500.0);
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> ux(500000.0, 600000.0);
  std::uniform_real_distribution<double> uy(4400000.0, 4500000.0);
  const double tol = 1e-6;
  for (int i = 0; i < 20000; ++i) {
    const XY p{ux(rng), uy(rng)};
    const HexCell cell = lattice.cellContaining(p);
    ASSERT_TRUE(insideHexagon(lattice.vertices(cell), p, tol)) << p.x << "," << p.y;
    for (const HexCell &n : lattice.neighbours(cell)) {
      // Strictly inside a neighbour (beyond tolerance) would be an overlap.
      ASSERT_FALSE(insideHexagon(lattice.vertices(n), p, -tol)) << p.x << "," << p.y;
    }
  }
}

TEST(HexLattice, PointOnASharedEdgeBelongsToExactlyOneCell) {
  // The midpoint of each edge of one cell lies on both cells that share the edge; the lattice must
  // give it to one of those two, and points nudged 1e-6 of a side off the edge go to the cell on
  // their side.
  const HexLattice lattice(100.0);
  const HexCell cell{3, 4};
  const auto v = lattice.vertices(cell);
  const XY c = lattice.centre(cell);
  for (int k = 0; k < 6; ++k) {
    const XY a = v[k], b = v[(k + 1) % 6];
    const XY mid{(a.x + b.x) / 2.0, (a.y + b.y) / 2.0};
    HexCell across{};
    int sharing = 0;
    for (const HexCell &n : lattice.neighbours(cell)) {
      const auto w = lattice.vertices(n);
      int shared = 0;
      for (const XY &p : w) shared += (p.x == a.x && p.y == a.y) || (p.x == b.x && p.y == b.y);
      if (shared == 2) across = n, ++sharing;
    }
    ASSERT_EQ(sharing, 1) << "edge " << k << " is shared with exactly one neighbour";
    const HexCell owner = lattice.cellContaining(mid);
    EXPECT_TRUE(owner == cell || owner == across) << "edge " << k;
    const XY inward{mid.x + (c.x - mid.x) * 1e-6, mid.y + (c.y - mid.y) * 1e-6};
    const XY outward{mid.x - (c.x - mid.x) * 1e-6, mid.y - (c.y - mid.y) * 1e-6};
    EXPECT_EQ(lattice.cellContaining(inward), cell) << "edge " << k;
    EXPECT_EQ(lattice.cellContaining(outward), across) << "edge " << k;
  }
}

TEST(HexLattice, RegionIdsAreStableAndDistinct) {
  EXPECT_EQ(HexLattice::regionId({340, -12}), "r-12_c340");
  EXPECT_EQ(HexLattice::regionId({0, 0}), "r0_c0");
  std::set<std::string> ids;
  for (std::int64_t col = -30; col <= 30; ++col)
    for (std::int64_t row = -30; row <= 30; ++row) ids.insert(HexLattice::regionId({col, row}));
  EXPECT_EQ(ids.size(), 61u * 61u);
}

TEST(HexLattice, AnchoredAtTheCrsOrigin) {
  // Cells depend on the place only, never on an extent: cell (0, 0) is centred on the CRS origin,
  // and a place far away lands in a cell whose centre is within one side of it, in the column the
  // origin-anchored spacing predicts.
  const HexLattice lattice(500.0);
  EXPECT_EQ(lattice.centre({0, 0}).x, 0.0);
  EXPECT_EQ(lattice.centre({0, 0}).y, 0.0);
  EXPECT_EQ(lattice.cellContaining({0.0, 0.0}), (HexCell{0, 0}));
  const XY p{583211.25, 4507342.5};
  const HexCell cell = lattice.cellContaining(p);
  const XY c = lattice.centre(cell);
  EXPECT_LE(std::hypot(p.x - c.x, p.y - c.y), 500.0 + 1e-9);
  EXPECT_NEAR(c.x, 1.5 * 500.0 * static_cast<double>(cell.col), 1e-6)
      << "flat-topped columns are 1.5 sides apart from x = 0";
}
