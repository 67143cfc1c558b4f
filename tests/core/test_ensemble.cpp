// Seed ensembles of whole trainings (TrainingOptions::runs): the embedding is the mean of the
// trainings, each rotated onto the first by orthogonal Procrustes, and the model file applies them
// the same way.
#include "musecl/learn/train/context.h"
#include "musecl/learn/train/ensemble.h"
#include "musecl/learn/training.h"
#include "learning_test_support.h"
#include "toy_city.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>

using namespace musecl;
using namespace musecl::test_support;

namespace {

// POIs and flows only: the light views, so three trainings stay quick.
TrainingOptions ensembleOptions(int runs, std::uint64_t seed) {
  TrainingOptions o = tinyOptions();
  o.runs = runs;
  o.seed = seed;
  return o;
}

torch::Tensor values(const TrainingResult &r) { return train::embeddingValues(r.embeddings); }

}  // namespace

TEST(Ensemble, IsTheMeanOfItsTrainingsEachRotatedOntoTheFirst) {
  const RegionTable city = toyCity(16, false, false, true, true);
  const std::string path = tempPath("ensemble.musecl"), scratch = tempPath("ensemble_single.musecl");
  std::vector<double> fractions;
  const TrainingResult two = trainMuseCL(
      city, ensembleOptions(2, 7), toyLoader,
      [&](const TrainingProgress &p) {
        fractions.push_back(p.fraction);
        return true;
      },
      {}, path);
  const torch::Tensor first = values(trainMuseCL(city, ensembleOptions(1, 7), toyLoader, {}, {}, scratch));
  const std::uint64_t secondSeed = train::runSeed(7, 1);
  ASSERT_EQ(train::runSeed(7, 0), 7u) << "the first training is the plain one";
  ASSERT_NE(secondSeed, 7u);
  const torch::Tensor second = values(trainMuseCL(city, ensembleOptions(1, secondSeed), toyLoader, {}, {}, scratch));

  // The ensemble's second training is the plain training from its seed, turned by the rotation
  // that best maps it onto the first: 2 x mean - first.
  const torch::Tensor rotation = train::procrustes(second, first);
  EXPECT_TRUE(torch::allclose(rotation.mm(rotation.t()), torch::eye(rotation.size(0)), 1e-4, 1e-4));
  const torch::Tensor recovered = 2 * values(two) - first;
  EXPECT_TRUE(torch::allclose(recovered, second.mm(rotation), 1e-4, 1e-4))
      << "largest difference " << (recovered - second.mm(rotation)).abs().max().item<double>();
  EXPECT_LT((second.mm(rotation) - first).norm().item<double>(), (second - first).norm().item<double>())
      << "the rotation brings the second training towards the first";
  EXPECT_TRUE(mentions(two, "ensemble: 2 trainings from seeds 7, " + std::to_string(secondSeed)));
  EXPECT_FALSE(mentions(two, "turned arbitrarily")) << "16 regions determine the rotation of 16 values";
  EXPECT_TRUE(
      std::any_of(two.log.begin(), two.log.end(), [](const EpochLog &e) { return e.stage == "run 2: fusion"; }));

  // Progress covers the two trainings in turn, each its half.
  ASSERT_FALSE(fractions.empty());
  EXPECT_TRUE(std::is_sorted(fractions.begin(), fractions.end()));
  EXPECT_GE(fractions.back(), 0.99);
  EXPECT_TRUE(std::any_of(fractions.begin(), fractions.end(), [](double f) { return f > 0.4 && f <= 0.5; }));

  // The model file holds both trainings and their rotation, and reproduces the embedding.
  EXPECT_EQ(readModelInfo(path).runs, 2);
  const TrainingResult applied = embedWithModel(path, city, toyLoader, DeviceChoice::Cpu, 2, {}, {});
  EXPECT_TRUE(torch::allclose(values(applied), values(two), 1e-5, 1e-5));
  EXPECT_TRUE(mentions(applied, "the model is an ensemble of 2 trainings"));
  std::remove(path.c_str());
  std::remove(scratch.c_str());
}

TEST(Ensemble, OneRunIsThePlainTrainingAndNoRunsIsRefused) {
  const RegionTable city = toyCity(12, false, false, true, true);
  const std::string path = tempPath("ensemble_one.musecl");
  TrainingOptions o = ensembleOptions(1, 9);
  const TrainingResult one = trainMuseCL(city, o, toyLoader, {}, {}, path);
  EXPECT_FALSE(mentions(one, "ensemble"));
  EXPECT_EQ(readModelInfo(path).runs, 1);
  for (int bad : {0, -2, kMaxRuns + 1}) {
    o.runs = bad;
    expectRefused([&] { trainMuseCL(city, o, toyLoader, {}, {}, path); }, {"runs is " + std::to_string(bad)},
                  "runs " + std::to_string(bad) + " was accepted");
  }
  std::remove(path.c_str());
}

TEST(Ensemble, SaysWhenFewerRegionsThanValuesFitTheRotations) {
  // 10 regions for a 16-value embedding: the rotations leave 6 directions undetermined.
  const TrainingResult r = trainMuseCL(toyCity(10, false, false, true, true), ensembleOptions(2, 3), toyLoader, {}, {},
                                       tempPath("ensemble_few.musecl"));
  ASSERT_EQ(r.embeddings.dimension, 16);
  EXPECT_TRUE(mentions(r, "the embedding has 16 values but only 10 regions fit the rotations"));
  std::remove(tempPath("ensemble_few.musecl").c_str());
}
