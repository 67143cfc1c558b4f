// The coverage rule of musecl:hexgrid: which listed cells are kept, which are clipped, and which
// exact questions are asked (GEOS is costly, so a question whose answer cannot matter must not be
// asked).
#include "musecl/geo/hex_selection.h"

#include <gtest/gtest.h>

#include <cmath>

using musecl::CoverCell;
using musecl::HexCoverage;
using musecl::HexKeep;
using musecl::HexLattice;
using musecl::HexSelection;

namespace {

struct FakeQuestions : musecl::HexBoundaryQuestions {
  bool meet = false;
  std::optional<double> area;
  int meetAsked = 0;
  int areaAsked = 0;
  bool interiorsMeet() override {
    ++meetAsked;
    return meet;
  }
  std::optional<double> overlapArea() override {
    ++areaAsked;
    return area;
  }
};

CoverCell cell(bool touchesBoundary, bool centreInside) { return {{3, -2}, touchesBoundary, centreInside}; }

HexSelection rule(HexCoverage coverage, bool clip = false, double minOverlap = 0.5) {
  HexSelection s;
  s.coverage = coverage;
  s.clip = clip;
  s.minOverlap = minOverlap;
  return s;
}

const HexLattice kLattice(10.0);

}  // namespace

TEST(HexSelection, CellsInsideAreKeptWholeWithoutAsking) {
  for (HexCoverage c : {HexCoverage::CentreInside, HexCoverage::InteriorIntersects, HexCoverage::MinimumOverlap})
    for (bool clip : {false, true}) {
      FakeQuestions q;
      EXPECT_EQ(rule(c, clip).decide(kLattice, cell(false, true), q), HexKeep::Whole) << static_cast<int>(c) << clip;
      EXPECT_EQ(q.meetAsked + q.areaAsked, 0);
    }
}

TEST(HexSelection, CentreRuleDecidesCrossedCellsByTheirCentre) {
  FakeQuestions q;
  q.meet = true;
  q.area = kLattice.area();
  EXPECT_EQ(rule(HexCoverage::CentreInside).decide(kLattice, cell(true, true), q), HexKeep::Whole);
  EXPECT_EQ(rule(HexCoverage::CentreInside, true).decide(kLattice, cell(true, true), q), HexKeep::Clipped);
  EXPECT_EQ(rule(HexCoverage::CentreInside, true).decide(kLattice, cell(true, false), q), HexKeep::Drop);
  EXPECT_EQ(q.meetAsked + q.areaAsked, 0);
}

TEST(HexSelection, IntersectsAsksOnlyWhenTheCentreIsOutside) {
  FakeQuestions q;
  EXPECT_EQ(rule(HexCoverage::InteriorIntersects).decide(kLattice, cell(true, true), q), HexKeep::Whole);
  EXPECT_EQ(q.meetAsked, 0) << "a centre inside a valid polygon already means the interiors meet";
  EXPECT_EQ(rule(HexCoverage::InteriorIntersects).decide(kLattice, cell(true, false), q), HexKeep::Drop);
  EXPECT_EQ(q.meetAsked, 1);
  q.meet = true;
  EXPECT_EQ(rule(HexCoverage::InteriorIntersects, true).decide(kLattice, cell(true, false), q), HexKeep::Clipped);
  EXPECT_EQ(q.meetAsked, 2);
  EXPECT_EQ(q.areaAsked, 0);
}

TEST(HexSelection, OverlapThresholdIsInclusiveAndOverridesTheCentre) {
  const double half = 0.5 * kLattice.area();
  FakeQuestions q;
  q.area = half;
  EXPECT_EQ(rule(HexCoverage::MinimumOverlap).decide(kLattice, cell(true, false), q), HexKeep::Whole)
      << "exactly half of the area is enough";
  EXPECT_EQ(rule(HexCoverage::MinimumOverlap, true).decide(kLattice, cell(true, false), q), HexKeep::Clipped);
  q.area = std::nextafter(half, 0.0);
  EXPECT_EQ(rule(HexCoverage::MinimumOverlap).decide(kLattice, cell(true, true), q), HexKeep::Drop)
      << "the centre being inside does not help";
  q.area = 0.3 * kLattice.area();
  EXPECT_EQ(rule(HexCoverage::MinimumOverlap, false, 0.25).decide(kLattice, cell(true, false), q), HexKeep::Whole);
  EXPECT_EQ(q.areaAsked, 4);
  EXPECT_EQ(q.meetAsked, 0);
}

TEST(HexSelection, NoIntersectionDropsTheCell) {
  FakeQuestions q;  // area: nullopt, the engine made no intersection
  EXPECT_EQ(rule(HexCoverage::MinimumOverlap, true, 1e-9).decide(kLattice, cell(true, true), q), HexKeep::Drop);
  EXPECT_EQ(q.areaAsked, 1);
}
