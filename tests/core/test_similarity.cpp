// Region similarity on tiny inputs: the triplet sampler, the paper's distance and similarity
// forms, and joined feature blocks weighed equally.
#include "musecl/learn/train/similarity.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

using namespace musecl;

TEST(TripletSampler, PositiveIsAlwaysMoreSimilarThanNegative) {
  std::mt19937_64 rng(5);
  std::normal_distribution<float> g;
  std::vector<std::vector<float>> features(60, std::vector<float>(4));
  for (auto &f : features)
    for (float &x : f) x = g(rng);
  std::vector<std::uint32_t> candidates;
  for (std::uint32_t i = 0; i < 60; i += 2) candidates.push_back(i);  // only even regions have images
  const TripletSampler sampler(features, candidates);
  for (int epoch = 0; epoch < 20; ++epoch)
    for (const Triplet &t : sampler.epoch(rng)) {
      ASSERT_LT(sampler.distance(t.anchor, t.positive), sampler.distance(t.anchor, t.negative));
      ASSERT_EQ(t.anchor % 2, 0u);
      ASSERT_EQ(t.positive % 2, 0u);
      ASSERT_EQ(t.negative % 2, 0u);
      ASSERT_NE(t.anchor, t.positive);
    }
  EXPECT_THROW(TripletSampler(features, {0, 1}), std::invalid_argument);
}

TEST(Similarity, PaperFormsAndScaling) {
  // Mobility distance (eq. 1): sqrt((100-40)^2 + (10-90)^2) = 100, similarity 1/100.
  const auto raw = mobilityFeatures({100, 40}, {10, 90}, SimilarityScale::Raw);
  EXPECT_NEAR(euclideanDistance(raw[0], raw[1]), 100.0, 1e-9);
  EXPECT_NEAR(similarityFromDistance(100.0), 0.01, 1e-12);
  EXPECT_TRUE(std::isinf(similarityFromDistance(0.0))) << "identical regions are the most similar";
  const auto logged = poiDistributionFeatures({{0, 9}}, SimilarityScale::Log1p);
  EXPECT_NEAR(logged[0][1], std::log(10.0), 1e-6);
}

TEST(Similarity, JoinedBlocksWeighEquallyWhateverTheirUnits) {
  const std::vector<std::vector<float>> metres{{0, 0}, {1000, 0}, {0, 1000}, {1000, 1000}};
  const std::vector<std::vector<float>> counts{{1}, {2}, {1}, {2}};
  const auto joined = joinedFeatures(metres, counts);
  ASSERT_EQ(joined.size(), 4u);
  ASSERT_EQ(joined[0].size(), 3u);
  double first = 0, second = 0;
  for (const auto &row : joined) {
    first += row[0] * row[0] + row[1] * row[1];
    second += row[2] * row[2];
  }
  EXPECT_NEAR(first / 4, 1.0, 1e-6);
  EXPECT_NEAR(second / 4, 1.0, 1e-6);
  EXPECT_THROW(joinedFeatures(metres, {{1}}), std::invalid_argument);
}
