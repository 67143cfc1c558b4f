// The mobility view's columns of the RegionTable (paper eqs. 1-2). Standard types only.
#pragma once

#include <cstdint>
#include <vector>

namespace musecl {

struct MobilityColumns {
  // Weights of flows with both ends in regions; internal flows are also counted in inflow and outflow.
  std::vector<double> inflow;
  std::vector<double> outflow;
  std::vector<double> internal;
  // The flow graph itself (OD lines): one entry per origin-destination pair with its summed weight.
  // Empty for trip end points, which say how much leaves and arrives but not where it goes.
  struct Flow {
    std::uint32_t origin = 0;
    std::uint32_t destination = 0;
    double weight = 0;
  };
  std::vector<Flow> flows;
};

}  // namespace musecl
