// Flow weights summed per region for MuseCL's mobility view (paper eqs. 1-2): inflow, outflow and
// internal flow of every region and the origin-destination graph, from flows whose ends are already
// located in regions (index, or -1 for "in no region"). Weights are added in the order the flows
// are given, so the sums are reproducible to the bit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <utility>
#include <vector>

namespace musecl {

// What a trip end point is (the caller reads it from the point's role field).
enum class TripEnd { Origin, Destination };

struct FlowTotals {
  FlowTotals() = default;
  // Zero sums for `regions` regions.
  explicit FlowTotals(std::size_t regions);

  // Per region. A flow inside one region counts in its inflow, outflow and internal alike.
  std::vector<double> inflow;
  std::vector<double> outflow;
  std::vector<double> internal;
  // OD lines only: (origin, destination) -> summed weight, ascending.
  std::map<std::pair<std::uint32_t, std::uint32_t>, double> od;
  double weightInside = 0;     // weight of the flows counted in regions
  double weightOutside = 0;    // weight of the flows with an end in no region
  long long flowsOutside = 0;  // number of those flows

  // An OD line: counted when both ends are in regions, else as outside.
  void addLine(std::int64_t origin, std::int64_t destination, double weight);
  // A trip end point in `region`: an origin adds to the region's outflow, a destination to its
  // inflow; a point in no region counts as outside. Trip ends add nothing to `internal` or `od`.
  void addTripEnd(std::int64_t region, TripEnd end, double weight);
};

}  // namespace musecl
