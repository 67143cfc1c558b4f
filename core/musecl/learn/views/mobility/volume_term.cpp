// The trip-volume term: see volume_term.h.
#include "musecl/learn/views/mobility/volume_term.h"

namespace musecl::train {

torch::Tensor standardisedTripTotals(const RegionTable &table) {
  const auto n = static_cast<int64_t>(table.size());
  torch::Tensor totals = torch::zeros({n, 2}, torch::kDouble);
  auto a = totals.accessor<double, 2>();
  for (int64_t r = 0; r < n; ++r) {
    a[r][0] = table.mobility.inflow[static_cast<std::size_t>(r)];
    a[r][1] = table.mobility.outflow[static_cast<std::size_t>(r)];
  }
  // A city where every region has the same total gives a zero column: nothing to read, no NaN. A
  // spread within rounding of the mean (fractional weights summed in another order) counts as none.
  const torch::Tensor mean = totals.mean(0);
  const torch::Tensor spread = n > 1 ? totals.std(0, false) : torch::zeros({2}, torch::kDouble);
  const torch::Tensor real = spread.gt(1e-9 * (1 + mean.abs()));
  return ((totals - mean) / spread.clamp_min(1e-300) * real).to(torch::kFloat);
}

VolumeTerm::VolumeTerm(const RegionTable &table, int64_t width, double weight, const torch::Device &device) {
  if (!(weight > 0) || !table.hasMobility()) return;
  head_ = torch::nn::Linear(width, 2);
  head_->to(device);
  targets_ = standardisedTripTotals(table).to(device);
  weight_ = weight;
}

std::vector<torch::Tensor> VolumeTerm::parameters() {
  return on() ? head_->parameters() : std::vector<torch::Tensor>{};
}

torch::Tensor VolumeTerm::loss(const torch::Tensor &vectors) {
  return weight_ * (head_->forward(vectors) - targets_).pow(2).mean();
}

}  // namespace musecl::train
