// The trip-volume term: a linear read-out, used only in training, that must reproduce each
// region's trip totals (inflow, outflow) on a linear scale from its vector.
//
// The mobility view and the fusion's flow term fit *log* trip counts, so a region's vector says how
// its trips are spread but keeps its volume only as a logarithm. Predicting counts with a linear
// model on the embedding then loses the busiest regions, which weigh most in R^2 on raw counts (the
// peers' published protocol; BENCHMARKS.md). The term makes the mobility encoder's output carry
// the totals along a direction a linear model reads directly; the fusion passes them on. A second
// read-out on the fused vector was tried and dropped (fusion_stage.cpp). The targets are
// standardised over the table's regions, so the weight does not depend on the city's trip count.
// Internal header (LibTorch).
#pragma once

#include "musecl/region_table.h"

#include <torch/torch.h>

namespace musecl::train {

class VolumeTerm {
 public:
  // Off (loss() undefined) unless `weight` > 0 and the table has trips; otherwise draws the
  // read-out's initial weights from torch's generator, so callers seed it first.
  VolumeTerm(const RegionTable &table, int64_t width, double weight, const torch::Device &device);
  bool on() const { return !head_.is_empty(); }
  // The read-out's weights, to be optimised with the vectors' own.
  std::vector<torch::Tensor> parameters();
  // weight x mean squared error of the read-out of `vectors` (every region of the table, in table
  // order) against the regions' standardised totals.
  torch::Tensor loss(const torch::Tensor &vectors);

 private:
  torch::nn::Linear head_{nullptr};
  torch::Tensor targets_;  // [N, 2] standardised inflow, outflow
  double weight_ = 0;
};

// Each region's inflow and outflow, standardised over the table's regions ([N, 2], float).
torch::Tensor standardisedTripTotals(const RegionTable &table);

}  // namespace musecl::train
