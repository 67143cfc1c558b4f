#include "musecl/geo/flow_totals.h"

namespace musecl {

FlowTotals::FlowTotals(std::size_t regions) : inflow(regions, 0.0), outflow(regions, 0.0), internal(regions, 0.0) {}

void FlowTotals::addLine(std::int64_t origin, std::int64_t destination, double weight) {
  if (origin < 0 || destination < 0) {
    ++flowsOutside;
    weightOutside += weight;
    return;
  }
  outflow[static_cast<std::size_t>(origin)] += weight;
  inflow[static_cast<std::size_t>(destination)] += weight;
  if (origin == destination) internal[static_cast<std::size_t>(origin)] += weight;
  od[{static_cast<std::uint32_t>(origin), static_cast<std::uint32_t>(destination)}] += weight;
  weightInside += weight;
}

void FlowTotals::addTripEnd(std::int64_t region, TripEnd end, double weight) {
  if (region < 0) {
    ++flowsOutside;
    weightOutside += weight;
    return;
  }
  (end == TripEnd::Origin ? outflow : inflow)[static_cast<std::size_t>(region)] += weight;
  weightInside += weight;
}

}  // namespace musecl
