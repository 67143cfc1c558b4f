// Unsupervised summaries of region features, used by musecl:cluster (and spatial folds in
// predict.cpp): seeded k-means with a k-means++ start, and principal components of standardised
// columns computed with LibTorch's symmetric eigensolver.
#pragma once

#include <cstdint>
#include <vector>

namespace musecl {

// Seeded k-means (k-means++ start). Throws std::invalid_argument unless 1 <= k <= points.
std::vector<int> kMeans(const std::vector<std::vector<double>> &points, int k, std::uint64_t seed,
                        int iterations = 100);

// Principal component scores of standardised columns (the first `components`), via the
// eigenvectors of the correlation matrix, each signed so that its largest loading is positive;
// `explained` receives each component's share of the variance.
std::vector<std::vector<double>> principalComponents(const std::vector<std::vector<double>> &rows, int components,
                                                     std::vector<double> *explained = nullptr);

}  // namespace musecl
