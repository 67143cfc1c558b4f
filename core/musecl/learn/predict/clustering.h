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

// The principal axes of standardised columns: score k of a row x is
// sum_j axes[k][j] * (x[j] - mean[j]) / scale[j]. Columns of zero spread get scale 1 (centred only).
struct PrincipalAxes {
  std::vector<double> mean, scale;
  std::vector<std::vector<double>> axes;  // [component][column], largest variance first
  std::vector<double> explained;          // each component's share of the variance
};

// The first `components` axes of `rows` (at least one, at most the column count), each signed so
// that its largest loading is positive, so the same data give the same axes whatever the LAPACK
// build. Empty for no rows.
PrincipalAxes principalAxes(const std::vector<std::vector<double>> &rows, int components);

// Principal component scores of standardised columns (the first `components`), via the
// eigenvectors of the correlation matrix, each signed so that its largest loading is positive;
// `explained` receives each component's share of the variance.
std::vector<std::vector<double>> principalComponents(const std::vector<std::vector<double>> &rows, int components,
                                                     std::vector<double> *explained = nullptr);

}  // namespace musecl
