// The views learned from OD flows: the mobility view recovers planted destination profiles and
// trains cities over the dense limit; the fusion's flow term carries what the flows say into the
// fused vector, and its pair targets agree in their dense and sparse forms.
#include "musecl/learn/train/context.h"
#include "musecl/learn/fusion/fusion_stage.h"
#include "musecl/learn/views/mobility/mobility_view.h"
#include "musecl/learn/training.h"
#include "learning_test_support.h"
#include "toy_city.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>

using namespace musecl;
using namespace musecl::test_support;

namespace {

// Planted flows for the mobility-view and fusion tests: 32 regions in four groups of 8; groups 0 and 1 differ only in
// where their trips go (every region of group 2, resp. group 3).
RegionTable plantedFlowCity() {
  RegionTable t;
  for (int r = 0; r < 32; ++r) {
    const int group = r / 8;
    t.ids.push_back("r" + std::to_string(r));
    if (group < 2)
      for (int d = (group + 2) * 8; d < (group + 3) * 8; ++d)
        t.mobility.flows.push_back({static_cast<std::uint32_t>(r), static_cast<std::uint32_t>(d), 50.0});
    else
      for (int d = 0; d < 16; ++d)
        t.mobility.flows.push_back({static_cast<std::uint32_t>(r), static_cast<std::uint32_t>(d), 20.0});
  }
  return t;
}

}  // namespace

TEST(MobilityView, RegionsWithTheSameDestinationProfileEndUpCloser) {
  // 32 regions in four groups of 8. Groups 0 and 1 look alike (same volumes, same POIs) and differ
  // only in where their trips go: group 0 to every region of group 2, group 1 to every region of
  // group 3. Groups 2 and 3 differ in their POIs and send their trips to every region of groups
  // 0-1. Only the flow graph can separate groups 0 and 1.
  RegionTable t = plantedFlowCity();
  t.poi.categories = {"home", "office", "shop"};
  for (int r = 0; r < 32; ++r) {
    const int group = r / 8;
    t.poi.counts.push_back(group < 2    ? std::vector<double>{10, 0, 0}
                           : group == 2 ? std::vector<double>{0, 10, 0}
                                        : std::vector<double>{0, 0, 10});
    t.poi.categoryTokens.emplace_back();
    t.poi.words.emplace_back();
  }
  t.mobility.inflow.assign(32, 0.0);
  t.mobility.outflow.assign(32, 0.0);
  t.mobility.internal.assign(32, 0.0);
  for (const auto &f : t.mobility.flows) {
    t.mobility.outflow[f.origin] += f.weight;
    t.mobility.inflow[f.destination] += f.weight;
  }
  TrainingOptions o = tinyOptions();
  o.mobilityEpochs = 400;
  o.mobilityRuns = 2;
  std::vector<EpochLog> log;
  std::vector<std::string> decisions;
  train::Context ctx{o, {}, {}, torch::Device(torch::kCPU), log, decisions};
  train::MobilityModel model;
  const train::ViewVectors view = train::trainMobilityView(t, ctx, model, 11);
  ASSERT_TRUE(view.defined());
  EXPECT_EQ(view.values.size(1), 16) << "two encoders, rotated onto the first and averaged: one 16-d view";
  ASSERT_EQ(model.rotations.size(), 2u);
  EXPECT_TRUE(torch::allclose(model.rotations[0], torch::eye(16), 1e-4, 1e-4)) << "the first encoder is the reference";
  EXPECT_TRUE(torch::allclose(model.rotations[1].mm(model.rotations[1].t()), torch::eye(16), 1e-4, 1e-4))
      << "rotations are orthogonal";
  EXPECT_LT(log.back().loss, 0.1 * log.front().loss) << "the log trip counts are reproduced";
  const torch::Tensor distance = torch::cdist(view.values, view.values);
  auto meanDistance = [&](int groupA, int groupB) {
    double sum = 0;
    int count = 0;
    for (int a = groupA * 8; a < groupA * 8 + 8; ++a)
      for (int b = groupB * 8; b < groupB * 8 + 8; ++b)
        if (a != b) sum += distance[a][b].item<double>(), ++count;
    return sum / count;
  };
  const double within = 0.5 * (meanDistance(0, 0) + meanDistance(1, 1)), between = meanDistance(0, 1);
  EXPECT_LT(within, 0.5 * between) << "within groups " << within << ", between groups 0 and 1 " << between;

  // The encoder is inductive: applied to the same city with its regions numbered in reverse, it
  // gives each region the vector it had (nothing in it is tied to a region's position in the table).
  RegionTable reversed = t;
  auto flip = [](std::uint32_t r) { return 31 - r; };
  for (std::size_t i = 0; i < 32; ++i) {
    reversed.poi.counts[flip(static_cast<std::uint32_t>(i))] = t.poi.counts[i];
    reversed.mobility.inflow[flip(static_cast<std::uint32_t>(i))] = t.mobility.inflow[i];
    reversed.mobility.outflow[flip(static_cast<std::uint32_t>(i))] = t.mobility.outflow[i];
  }
  for (auto &f : reversed.mobility.flows) f = {flip(f.origin), flip(f.destination), f.weight};
  const train::ViewVectors applied = train::applyMobilityView(reversed, model, ctx);
  EXPECT_TRUE(torch::allclose(applied.values.flip({0}), view.values, 1e-4, 1e-4));
}

TEST(Fusion, TheFlowTermMakesTheFusedVectorCarryWhatTheFlowsSay) {
  // Two views: "POI text" is noise with no relation to the flows; "mobility" holds each region's
  // group (one-hot, 4 of its 16 values) under unit noise in all 16. InfoNCE alone aligns whatever
  // the views share, here noise; the flow term must make the fused vector tell groups 0 and 1 apart
  // (they differ only in their destinations), measured as ridge would use it: a leave-one-out
  // linear probe of the group from the fused vector.
  const RegionTable t = plantedFlowCity();
  torch::manual_seed(3);
  train::ViewSet views;
  views[static_cast<int>(View::PoiText)] = {torch::randn({32, 8}), std::vector<std::uint8_t>(32, 1)};
  torch::Tensor mobility = torch::randn({32, 16});
  for (int r = 0; r < 32; ++r) mobility[r][r / 8] += 1.5;
  views[static_cast<int>(View::Mobility)] = {mobility, std::vector<std::uint8_t>(32, 1)};
  auto run = [&](double weight, RegionTable table, std::vector<std::string> &decisions, int epochs = 150) {
    TrainingOptions o = tinyOptions();
    o.fusionEpochs = epochs;
    o.batchSize = 32;  // one batch: the whole OD matrix at each step
    o.fusionFlowWeight = weight;
    std::vector<EpochLog> log;
    train::Context ctx{o, {}, {}, torch::Device(torch::kCPU), log, decisions};
    train::FusionModel model;
    RegionEmbeddings embeddings = train::trainFusion(table, views, ctx, model, 9);
    return std::make_pair(embeddings, model.withViews);
  };
  std::vector<std::string> withFlowsLog, infoNceLog, noPairsLog;
  const auto [withFlows, wideWithFlows] = run(3.0, t, withFlowsLog);
  const auto [infoNceOnly, wideInfoNce] = run(0.0, t, infoNceLog);
  RegionTable noPairs = t;
  noPairs.mobility.flows.clear();
  const auto [tripEnds, wideTripEnds] = run(3.0, noPairs, noPairsLog);
  std::vector<std::string> untrainedLog;
  const auto [untrained, wideUntrained] = run(3.0, t, untrainedLog, 0);
  EXPECT_TRUE(mentions(withFlowsLog, "reproduce the log trip counts among its regions (flow weight 3)"));
  EXPECT_TRUE(mentions(infoNceLog, "no flow term (weight 0)"));
  EXPECT_TRUE(mentions(noPairsLog, "no flow term (it needs OD flows and a mobility view)"));
  EXPECT_FALSE(wideWithFlows) << "automatic output: the flow-trained fused vector alone";
  EXPECT_TRUE(wideInfoNce && wideTripEnds && wideUntrained)
      << "automatic output: the fused vector and each view's projection";
  EXPECT_FALSE(mentions(untrainedLog, "flow weight")) << "FUSION_EPOCHS=0 trains nothing, so no flow term is claimed";

  auto probe = [](const RegionEmbeddings
                      &e) {  // leave-one-out ridge R^2 of "group 0 or 1" from the fused vector of regions 0-15
    const torch::Tensor f = torch::tensor(e.values).view({32, -1}).narrow(1, 0, 16).narrow(0, 0, 16).to(torch::kDouble);
    const torch::Tensor x = (f - f.mean(0)) / f.std(0, false).clamp_min(1e-9);
    const torch::Tensor y = torch::cat({-torch::ones({8}), torch::ones({8})}).to(torch::kDouble);
    const torch::Tensor h = x.mm(at::linalg_solve(x.t().mm(x) + torch::eye(16, torch::kDouble), x.t()));
    const torch::Tensor residual = (y - h.mv(y)) / (1 - h.diag());
    return 1.0 - residual.pow(2).sum().item<double>() / y.pow(2).sum().item<double>();
  };
  // On this city the probe rose from 0.51 (InfoNCE only) to 0.68, 0.77, 0.87 and 0.95 at weights
  // 0.3, 1, 3 and 10.
  EXPECT_GT(probe(withFlows), 0.8) << "with the flow term";
  EXPECT_GT(probe(withFlows), probe(infoNceOnly) + 0.2) << "InfoNCE only: " << probe(infoNceOnly);

  expectBadWeightsRefused([](TrainingOptions &o, double weight) { o.fusionFlowWeight = weight; }, "flow weight");
}

TEST(Fusion, FlowTargetsAmongRowsAgreeDenseAndSparse) {
  // The sparse targets (cities over 2048 regions: sorted pair keys, binary search) give the same
  // [k, k] blocks as the dense matrix, in the order of the rows asked for, with 0 where no flow runs.
  RegionTable t = plantedFlowCity();
  t.mobility.flows.push_back({5, 5, 9.0});  // an internal flow
  const train::FlowGraphTensors g = train::flowGraphTensors(t, torch::Device(torch::kCPU));
  const train::PairTargets dense = train::pairTargets(g, 32, torch::Device(torch::kCPU));
  ASSERT_TRUE(dense.dense);
  const train::PairTargets sparse = train::pairTargets(g, 32, torch::Device(torch::kCPU), 0);
  ASSERT_FALSE(sparse.dense);
  ASSERT_EQ(sparse.keys.numel(), static_cast<int64_t>(t.mobility.flows.size()));
  const torch::Tensor rows = torch::tensor(std::vector<std::int64_t>{20, 3, 5, 17, 0}, torch::kLong);
  const torch::Tensor a = dense.among(rows), b = sparse.among(rows);
  ASSERT_EQ(a.sizes(), (std::vector<int64_t>{5, 5}));
  EXPECT_TRUE(torch::equal(a, b));
  // Every pair of the city, including keys below the first flow's and above the last one's.
  EXPECT_TRUE(torch::equal(sparse.among(torch::arange(32, torch::kLong)), dense.matrix));
  const torch::Tensor origins = torch::tensor(std::vector<std::int64_t>{0, 31, 3, 5}, torch::kLong);
  const torch::Tensor destinations = torch::tensor(std::vector<std::int64_t>{0, 31, 20, 5}, torch::kLong);
  EXPECT_TRUE(torch::equal(sparse.lookup(origins, destinations), dense.lookup(origins, destinations)));
  EXPECT_FLOAT_EQ(a[1][0].item<float>(), static_cast<float>(std::log1p(50.0)))
      << "region 3 (group 0) sends 50 trips to region 20 (group 2)";
  EXPECT_FLOAT_EQ(a[0][1].item<float>(), static_cast<float>(std::log1p(20.0)))
      << "region 20 (group 2) sends 20 trips to region 3";
  EXPECT_FLOAT_EQ(a[1][3].item<float>(), static_cast<float>(std::log1p(50.0)))
      << "region 3 sends 50 trips to region 17 (group 2)";
  EXPECT_FLOAT_EQ(a[2][2].item<float>(), static_cast<float>(std::log1p(9.0)));
  EXPECT_EQ(a[1][4].item<float>(), 0.0f) << "region 3 sends nothing to region 0 (its own group)";
  EXPECT_EQ(a[0][3].item<float>(), 0.0f) << "region 20 sends nothing to region 17 (its own group)";
}

TEST(MobilityView, CitiesOverTheDenseLimitTrainOnFlowsAndRandomPairsReproducibly) {
  // 2 100 regions (over kDensePairsUpTo): the loss covers every flow and as many random pairs,
  // whose targets come from the sorted-key lookup. A ring city: region r sends 30 trips to r + 1.
  RegionTable t;
  const int n = static_cast<int>(train::kDensePairsUpTo) + 52;
  for (int r = 0; r < n; ++r) {
    t.ids.push_back("r" + std::to_string(r));
    t.mobility.flows.push_back({static_cast<std::uint32_t>(r), static_cast<std::uint32_t>((r + 1) % n), 30.0});
  }
  t.mobility.inflow.assign(static_cast<std::size_t>(n), 30.0);
  t.mobility.outflow.assign(static_cast<std::size_t>(n), 30.0);
  t.mobility.internal.assign(static_cast<std::size_t>(n), 0.0);
  TrainingOptions o = tinyOptions();
  o.mobilityEpochs = 60;
  auto train = [&](std::vector<EpochLog> &log, std::vector<std::string> &decisions) {
    train::Context ctx{o, {}, {}, torch::Device(torch::kCPU), log, decisions};
    train::MobilityModel model;
    return train::trainMobilityView(t, ctx, model, 5);
  };
  std::vector<EpochLog> log, logAgain;
  std::vector<std::string> decisions, decisionsAgain;
  const train::ViewVectors view = train(log, decisions), again = train(logAgain, decisionsAgain);
  EXPECT_TRUE(mentions(decisions, "on every flow and as many random pairs per epoch"));
  EXPECT_TRUE(torch::equal(view.values, again.values)) << "the random pairs come from the seed";
  // Every region looks alike, so the best the encoder can do is one score for every pair: the mean
  // target, log1p(30) / 2 (the flows, and random pairs that are nearly all 0), at a loss of
  // (log1p(30) / 2)^2 = 2.95. The targets' lookup itself is checked in
  // Fusion.FlowTargetsAmongRowsAgreeDenseAndSparse.
  EXPECT_LT(log.back().loss, log.front().loss);
  EXPECT_NEAR(log.back().loss, std::pow(std::log1p(30.0) / 2, 2), 0.3) << log.front().loss << " -> " << log.back().loss;
}
