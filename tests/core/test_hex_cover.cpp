// HexCover against brute force: every lattice cell near the polygon is classified by direct
// geometry (centre in polygon by even-odd, segment-hexagon contact) and compared with the
// lattice-arithmetic result. Known counts are derived by hand in the comments.
#include "musecl/geo/hex_cover.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <stdexcept>

using musecl::CoverCell;
using musecl::HexCell;
using musecl::HexCover;
using musecl::HexLattice;
using musecl::Ring;
using musecl::XY;

namespace {

bool evenOddInside(const std::vector<Ring> &rings, XY p) {
  // Same half-open convention as the scanline: the crossing is counted when x is in (min, max].
  bool inside = false;
  for (const Ring &r : rings)
    for (std::size_t i = 0; i < r.size(); ++i) {
      const XY a = r[i];
      const XY b = r[(i + 1) % r.size()];
      if ((a.x > p.x) == (b.x > p.x)) continue;
      const double y = a.y + (p.x - a.x) * (b.y - a.y) / (b.x - a.x);
      if (y <= p.y) inside = !inside;
    }
  return inside;
}

std::map<std::pair<std::int64_t, std::int64_t>, CoverCell> coverMap(const HexCover &cover) {
  std::map<std::pair<std::int64_t, std::int64_t>, CoverCell> out;
  for (std::int64_t col = cover.firstColumn(); col <= cover.lastColumn(); ++col) {
    std::int64_t previous = INT64_MIN;
    for (const CoverCell &c : cover.column(col)) {
      EXPECT_GT(c.cell.row, previous) << "rows ascend without duplicates";
      previous = c.cell.row;
      out[{c.cell.col, c.cell.row}] = c;
    }
  }
  return out;
}

void expectMatchesBruteForce(const HexLattice &lattice, const std::vector<Ring> &rings) {
  const HexCover cover(lattice, rings);
  const auto got = coverMap(cover);
  double minX = 1e300, minY = 1e300, maxX = -1e300, maxY = -1e300;
  for (const Ring &r : rings)
    for (const XY &p : r) {
      minX = std::min(minX, p.x);
      maxX = std::max(maxX, p.x);
      minY = std::min(minY, p.y);
      maxY = std::max(maxY, p.y);
    }
  const auto c0 = static_cast<std::int64_t>(std::floor(minX / lattice.columnSpacing())) - 2;
  const auto c1 = static_cast<std::int64_t>(std::ceil(maxX / lattice.columnSpacing())) + 2;
  const auto r0 = static_cast<std::int64_t>(std::floor(minY / lattice.rowSpacing())) - 2;
  const auto r1 = static_cast<std::int64_t>(std::ceil(maxY / lattice.rowSpacing())) + 2;
  std::size_t expected = 0;
  for (std::int64_t col = c0; col <= c1; ++col)
    for (std::int64_t row = r0; row <= r1; ++row) {
      const HexCell cell{col, row};
      const bool inside = evenOddInside(rings, lattice.centre(cell));
      bool touches = false;
      for (const Ring &r : rings)
        for (std::size_t i = 0; i < r.size() && !touches; ++i)
          touches = musecl::segmentTouchesHexagon(lattice, cell, r[i], r[(i + 1) % r.size()]);
      const auto it = got.find({col, row});
      if (!inside && !touches) {
        EXPECT_EQ(it, got.end()) << "cell outside listed: " << col << "," << row;
        continue;
      }
      ++expected;
      ASSERT_NE(it, got.end()) << "missing cell " << col << "," << row;
      EXPECT_EQ(it->second.centreInside, inside) << col << "," << row;
      EXPECT_EQ(it->second.touchesBoundary, touches) << col << "," << row;
    }
  EXPECT_EQ(got.size(), expected);
}

}  // namespace

TEST(HexCover, AxisAlignedRectangleHasTheHandCountedCentres) {
  // Side 1000: column centres at x = 1500*col, row centres at y = 1732.05*(row + parity/2).
  // Rectangle x in [100, 10100], y in [100, 10100]: columns 1..6 (x 1500..9000); even columns have
  // centres at y = 1732.05*k for k = 1..5 (5 rows), odd columns at 866.03 + 1732.05*k, k = 0..5
  // (6 rows). Columns 1,3,5 -> 18; columns 2,4,6 -> 15. Total 33 centres inside.
  const HexLattice lattice(1000.0);
  const std::vector<Ring> rings{{{100, 100}, {10100, 100}, {10100, 10100}, {100, 10100}}};
  const HexCover cover(lattice, rings);
  std::size_t centres = 0;
  for (std::int64_t col = cover.firstColumn(); col <= cover.lastColumn(); ++col)
    for (const CoverCell &c : cover.column(col)) centres += c.centreInside ? 1 : 0;
  EXPECT_EQ(centres, 33u);
  expectMatchesBruteForce(lattice, rings);
}

TEST(HexCover, ConcavePolygonWithHoleMatchesBruteForce) {
  const HexLattice lattice(37.0);
  const std::vector<Ring> rings{// A "C" shape in UTM-like coordinates...
                                {{500000, 4400000},
                                 {501000, 4400000},
                                 {501000, 4400300},
                                 {500300, 4400300},
                                 {500300, 4400700},
                                 {501000, 4400700},
                                 {501000, 4401000},
                                 {500000, 4401000}},
                                // ...with a square hole, given clockwise (orientation must not matter).
                                {{500050, 4400800}, {500050, 4400950}, {500200, 4400950}, {500200, 4400800}}};
  expectMatchesBruteForce(lattice, rings);
}

TEST(HexCover, MultipolygonAndDiagonalEdgesMatchBruteForce) {
  const HexLattice lattice(10.0);
  const std::vector<Ring> rings{{{0, 0}, {173, 41}, {97, 150}, {-20, 88}},
                                {{300, 300}, {340, 290}, {360, 355}, {310, 333}, {300, 300}}};  // closed ring
  expectMatchesBruteForce(lattice, rings);
}

TEST(HexCover, PolygonSmallerThanACellTouchesOneOrFewCells) {
  const HexLattice lattice(1000.0);
  const std::vector<Ring> rings{{{10, 10}, {20, 10}, {20, 20}}};
  const HexCover cover(lattice, rings);
  EXPECT_EQ(cover.boundaryCellCount(), 1u);
  expectMatchesBruteForce(lattice, rings);
}

TEST(HexCover, EmptyInputGivesNoColumns) {
  const HexLattice lattice(10.0);
  EXPECT_TRUE(HexCover(lattice, {}).empty());
  EXPECT_TRUE(HexCover(lattice, {{{1, 1}}}).empty());
}

TEST(HexCover, NonFiniteVertexIsRefused) {
  const HexLattice lattice(10.0);
  EXPECT_THROW((HexCover{lattice, {{{0, 0}, {NAN, 1}, {2, 2}}}}), std::invalid_argument);
}

TEST(HexCover, EstimateBoundsTheActualCount) {
  const HexLattice lattice(50.0);
  const double w = 3000, h = 2000;
  const std::vector<Ring> rings{{{0, 0}, {w, 0}, {w, h}, {0, h}}};
  const HexCover cover(lattice, rings);
  std::size_t listed = 0;
  for (std::int64_t col = cover.firstColumn(); col <= cover.lastColumn(); ++col) listed += cover.column(col).size();
  const double estimate = HexCover::estimateCellCount(lattice, w * h, 2 * (w + h));
  EXPECT_GE(estimate, static_cast<double>(listed));
  EXPECT_LE(estimate, 1.5 * static_cast<double>(listed)) << "not uselessly loose";
}
