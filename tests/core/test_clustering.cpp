// Principal components and k-means of the clustering on planted data.
#include "musecl/learn/predict/clustering.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

using namespace musecl;

TEST(Clustering, PrincipalComponentsOfAPlantedLine) {
  // Columns t, 2t + tiny noise and independent noise: after standardising, the correlation matrix
  // has eigenvalues about 2, 1 and 0, so the first component explains about 2/3 of the variance and
  // follows t (its largest loading made positive, so the sign is fixed too).
  std::mt19937 rng(5);
  std::normal_distribution<double> g;
  std::vector<std::vector<double>> rows;
  std::vector<double> t;
  for (int i = 0; i < 200; ++i) {
    t.push_back(g(rng));
    rows.push_back({t.back(), 2 * t.back() + 0.01 * g(rng), g(rng)});
  }
  std::vector<double> explained;
  const auto scores = principalComponents(rows, 2, &explained);
  ASSERT_EQ(scores.size(), 200u);
  ASSERT_EQ(scores[0].size(), 2u);
  ASSERT_EQ(explained.size(), 2u);
  EXPECT_NEAR(explained[0], 2.0 / 3.0, 0.02);
  EXPECT_NEAR(explained[1], 1.0 / 3.0, 0.05);
  double sxy = 0, sxx = 0, syy = 0;
  for (std::size_t i = 0; i < 200; ++i)
    sxy += t[i] * scores[i][0], sxx += t[i] * t[i], syy += scores[i][0] * scores[i][0];
  // Not exactly t: the sample correlation of the noise column with t (about 0.07 for 200 rows) tilts it.
  EXPECT_GT(sxy / std::sqrt(sxx * syy), 0.99) << "the first component is +t (up to scale)";
  // k-means on the scores of two well separated blobs finds them.
  std::vector<std::vector<double>> blobs;
  for (int i = 0; i < 40; ++i) blobs.push_back({(i < 20 ? -5.0 : 5.0) + 0.1 * g(rng), 0.1 * g(rng)});
  const std::vector<int> labels = kMeans(blobs, 2, 3);
  for (int i = 1; i < 20; ++i) EXPECT_EQ(labels[static_cast<std::size_t>(i)], labels[0]);
  for (int i = 21; i < 40; ++i) EXPECT_EQ(labels[static_cast<std::size_t>(i)], labels[20]);
  EXPECT_NE(labels[0], labels[20]);
  EXPECT_THROW(kMeans(blobs, 41, 3), std::invalid_argument);
}

TEST(Clustering, PrincipalAxesReproduceTheScores) {
  // Three columns on different scales: the axes, applied to a row by their formula, give the same
  // scores as principalComponents (which the embedding layer's colour style relies on).
  std::mt19937 rng(11);
  std::normal_distribution<double> g;
  std::vector<std::vector<double>> rows;
  for (int i = 0; i < 100; ++i) {
    const double t = g(rng);
    rows.push_back({100 + 10 * t, -3 * t + g(rng), 0.01 * g(rng)});
  }
  const auto scores = principalComponents(rows, 2);
  const PrincipalAxes axes = principalAxes(rows, 2);
  ASSERT_EQ(axes.axes.size(), 2u);
  ASSERT_EQ(axes.mean.size(), 3u);
  EXPECT_NEAR(axes.mean[0], 100, 3) << "the column mean, about 100";
  for (std::size_t i = 0; i < rows.size(); ++i)
    for (std::size_t k = 0; k < 2; ++k) {
      double score = 0;
      for (std::size_t j = 0; j < 3; ++j) score += axes.axes[k][j] * (rows[i][j] - axes.mean[j]) / axes.scale[j];
      EXPECT_NEAR(score, scores[i][k], 1e-9) << "row " << i << ", component " << k;
    }
  EXPECT_TRUE(principalAxes({}, 3).axes.empty());
}
