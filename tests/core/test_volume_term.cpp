// The trip-volume term: with it, the mobility view gives each region's trip totals on a linear
// scale to a linear model; without it it holds them only as logarithms. The fusion has none.
#include "musecl/learn/fusion/fusion_stage.h"
#include "musecl/learn/train/context.h"
#include "musecl/learn/training.h"
#include "musecl/learn/views/mobility/mobility_view.h"
#include "musecl/learn/views/mobility/volume_term.h"
#include "learning_test_support.h"
#include "toy_city.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>

using namespace musecl;
using namespace musecl::test_support;

namespace {

constexpr int kRegions = 40;

// 40 regions, each sending trips to three others; a region's trips per flow run from 3 to 768
// (powers of two, scrambled over the regions), so the totals have the heavy tail of a real city.
RegionTable heavyTailedCity() {
  RegionTable t;
  t.mobility.inflow.assign(kRegions, 0.0);
  t.mobility.outflow.assign(kRegions, 0.0);
  for (std::uint32_t r = 0; r < kRegions; ++r) {
    t.ids.push_back("r" + std::to_string(r));
    const double weight = 3.0 * std::pow(2.0, (r * 7) % 9);
    for (const std::uint32_t step : {1u, 5u, 11u}) {
      const std::uint32_t d = (r + step) % kRegions;
      t.mobility.flows.push_back({r, d, weight});
      t.mobility.outflow[r] += weight;
      t.mobility.inflow[d] += weight;
    }
  }
  return t;
}

// Leave-one-out ridge (lambda 1) R^2 of the standardised trip totals from `vectors` (standardised
// first), the mean of inflow and outflow: how well a linear model reads the totals on a raw scale.
double linearProbe(const torch::Tensor &vectors, const RegionTable &t) {
  const torch::Tensor f = vectors.to(torch::kDouble);
  const torch::Tensor x = (f - f.mean(0)) / f.std(0, false).clamp_min(1e-9);
  const torch::Tensor h = x.mm(at::linalg_solve(x.t().mm(x) + torch::eye(x.size(1), torch::kDouble), x.t()));
  const torch::Tensor y = train::standardisedTripTotals(t).to(torch::kDouble);
  const torch::Tensor residual = (y - h.mm(y)) / (1 - h.diag()).unsqueeze(1);
  return (1.0 - residual.pow(2).sum(0) / y.pow(2).sum(0)).mean().item<double>();
}

}  // namespace

TEST(VolumeTerm, TargetsAreTheTotalsStandardisedAndAConstantCityGivesZeros) {
  const RegionTable t = heavyTailedCity();
  const torch::Tensor y = train::standardisedTripTotals(t);
  ASSERT_EQ(y.sizes(), (torch::IntArrayRef{kRegions, 2}));
  EXPECT_NEAR(y.mean().item<double>(), 0.0, 1e-5);
  EXPECT_NEAR(y.select(1, 1).std(false).item<double>(), 1.0, 1e-5);
  // Region 0 sends 3 trips on each of its flows, the fewest: the lowest outflow.
  EXPECT_EQ(y.select(1, 1).argmin().item<int64_t>(), 0);
  RegionTable flat = t;
  flat.mobility.inflow.assign(kRegions, 7.0);
  EXPECT_TRUE(torch::equal(train::standardisedTripTotals(flat).select(1, 0), torch::zeros({kRegions})))
      << "every region the same inflow: nothing to read, and no NaN";
  for (int r = 0; r < kRegions; ++r) flat.mobility.inflow[static_cast<std::size_t>(r)] = 1e6 + 1e-7 * r;
  EXPECT_TRUE(torch::equal(train::standardisedTripTotals(flat).select(1, 0), torch::zeros({kRegions})))
      << "a spread within rounding of the totals is no spread";
}

TEST(VolumeTerm, TheMobilityViewKeepsTripTotalsOnALinearScale) {
  const RegionTable t = heavyTailedCity();
  // One thread count for every run (trainMuseCL holds one too): sums split over threads differ in
  // their last bits, and the comparison below is bitwise.
  const TorchThreadsLease threads(1, std::function<bool()>(), LogCallback());
  auto run = [&t](double weight, std::vector<std::string> &decisions) {
    TrainingOptions o = tinyOptions();
    o.mobilityEpochs = 300;
    o.mobilityDimension = 4;  // room for the flows' structure, not for every function of it
    o.tripVolumeWeight = weight;
    std::vector<EpochLog> log;
    train::Context ctx{o, {}, {}, torch::Device(torch::kCPU), log, decisions};
    train::MobilityModel model;
    return train::trainMobilityView(t, ctx, model, 11).values;
  };
  std::vector<std::string> withLog, withoutLog, againLog;
  const torch::Tensor with = run(1.0, withLog), without = run(0.0, withoutLog);
  EXPECT_TRUE(mentions(withLog, "each region's trip totals on a linear scale (volume weight 1)"));
  EXPECT_TRUE(mentions(withoutLog, "log trip counts between all region pairs only (volume weight 0)"));
  EXPECT_TRUE(torch::equal(run(1.0, againLog), with)) << "the read-out is seeded with the encoder";
  const double probeWith = linearProbe(with, t), probeWithout = linearProbe(without, t);
  // Measured: 0.997 with the term, 0.865 without.
  EXPECT_GT(probeWith, 0.95);
  EXPECT_GT(probeWith, probeWithout + 0.1) << "log counts only: " << probeWithout;
}

TEST(VolumeTerm, TheFusionHasNoTermOfItsOwn) {
  // A read-out on the fused vector as well was measured and dropped (BENCHMARKS.md, "The trip-volume
  // term"): the weight must not reach the fusion. With the flow term on, a fused vector trained with
  // weight 1 is the one trained with weight 0, bit for bit, and the fusion's log names no volume term.
  const RegionTable t = heavyTailedCity();
  const TorchThreadsLease threads(1, std::function<bool()>(), LogCallback());  // bitwise comparison below
  torch::manual_seed(5);
  train::ViewSet views;
  views[static_cast<int>(View::PoiText)] = {torch::randn({kRegions, 8}), std::vector<std::uint8_t>(kRegions, 1)};
  views[static_cast<int>(View::Mobility)] = {torch::randn({kRegions, 8}), std::vector<std::uint8_t>(kRegions, 1)};
  auto run = [&](double weight, std::vector<std::string> &decisions) {
    TrainingOptions o = tinyOptions();
    o.fusionEpochs = 20;
    o.tripVolumeWeight = weight;
    o.embeddingOutput = EmbeddingOutput::Fused;
    std::vector<EpochLog> log;
    train::Context ctx{o, {}, {}, torch::Device(torch::kCPU), log, decisions};
    train::FusionModel model;
    const RegionEmbeddings e = train::trainFusion(t, views, ctx, model, 9);
    return torch::tensor(e.values).view({kRegions, -1});
  };
  std::vector<std::string> withLog, withoutLog;
  const torch::Tensor with = run(1.0, withLog), without = run(0.0, withoutLog);
  EXPECT_TRUE(mentions(withLog, "flow weight")) << "the flow term must be on for this comparison";
  EXPECT_FALSE(mentions(withLog, "volume"));
  EXPECT_TRUE(torch::equal(with, without));
}

TEST(VolumeTerm, ANegativeOrMissingWeightIsRefusedNamingIt) {
  expectBadWeightsRefused([](TrainingOptions &o, double weight) { o.tripVolumeWeight = weight; },
                          "trip-volume weight is");
}
