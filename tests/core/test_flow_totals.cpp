// Flow sums per region (musecl:mobilityfeatures, the mobility view): OD lines and trip end points
// with ends located in regions, on hand-summed examples.
#include "musecl/geo/flow_totals.h"

#include <gtest/gtest.h>

using musecl::FlowTotals;
using musecl::TripEnd;

TEST(FlowTotals, OdLinesSumInflowOutflowInternalAndPairs) {
  FlowTotals t(3);
  t.addLine(0, 1, 2.0);
  t.addLine(1, 1, 0.5);  // internal: also in- and outflow of region 1
  t.addLine(0, 1, 1.0);
  t.addLine(-1, 2, 4.0);  // an end in no region
  t.addLine(2, -1, 0.25);
  t.addLine(2, 0, 0.0);  // weight 0 still makes an OD pair
  EXPECT_EQ(t.outflow, (std::vector<double>{3.0, 0.5, 0.0}));
  EXPECT_EQ(t.inflow, (std::vector<double>{0.0, 3.5, 0.0}));
  EXPECT_EQ(t.internal, (std::vector<double>{0.0, 0.5, 0.0}));
  const std::map<std::pair<std::uint32_t, std::uint32_t>, double> od{{{0, 1}, 3.0}, {{1, 1}, 0.5}, {{2, 0}, 0.0}};
  EXPECT_EQ(t.od, od);
  EXPECT_EQ(t.weightInside, 3.5);
  EXPECT_EQ(t.weightOutside, 4.25);
  EXPECT_EQ(t.flowsOutside, 2);
}

TEST(FlowTotals, WeightsAreAddedInTheOrderGiven) {
  FlowTotals t(2);
  for (double w : {0.1, 0.2, 0.3}) t.addLine(0, 1, w);
  // (0.1 + 0.2) + 0.3 is 0.6000000000000001; another order would give 0.6.
  const double inOrder = (0.1 + 0.2) + 0.3;
  ASSERT_NE(inOrder, 0.1 + (0.2 + 0.3));
  EXPECT_EQ(t.outflow[0], inOrder);
  EXPECT_EQ(t.inflow[1], inOrder);
  EXPECT_EQ((t.od.at({0, 1})), inOrder);
  EXPECT_EQ(t.weightInside, inOrder);
}

TEST(FlowTotals, TripEndsFeedOutflowOrInflowOfTheirRegionOnly) {
  FlowTotals t(2);
  t.addTripEnd(0, TripEnd::Origin, 2.0);
  t.addTripEnd(1, TripEnd::Destination, 2.0);
  t.addTripEnd(0, TripEnd::Destination, 1.0);
  t.addTripEnd(-1, TripEnd::Origin, 5.0);
  EXPECT_EQ(t.outflow, (std::vector<double>{2.0, 0.0}));
  EXPECT_EQ(t.inflow, (std::vector<double>{1.0, 2.0}));
  EXPECT_EQ(t.internal, (std::vector<double>{0.0, 0.0})) << "a point says nothing about where the trip went";
  EXPECT_TRUE(t.od.empty());
  EXPECT_EQ(t.weightInside, 5.0);
  EXPECT_EQ(t.weightOutside, 5.0);
  EXPECT_EQ(t.flowsOutside, 1);
}

TEST(FlowTotals, StartsAtZeroForEveryRegion) {
  const FlowTotals t(4);
  EXPECT_EQ(t.inflow, std::vector<double>(4, 0.0));
  EXPECT_EQ(t.outflow, std::vector<double>(4, 0.0));
  EXPECT_EQ(t.internal, std::vector<double>(4, 0.0));
  EXPECT_EQ(t.flowsOutside, 0);
  EXPECT_TRUE(FlowTotals().inflow.empty());
}
