// Unsupervised summaries of region features for musecl:cluster: see clustering.h.
#include "musecl/learn/predict/clustering.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <stdexcept>

namespace musecl {

std::vector<int> kMeans(const std::vector<std::vector<double>> &points, int k, std::uint64_t seed, int iterations) {
  const std::size_t n = points.size();
  if (k < 1 || static_cast<std::size_t>(k) > n) throw std::invalid_argument("k-means needs 1 <= k <= number of points");
  std::mt19937_64 rng(seed);
  auto dist2 = [](const std::vector<double> &a, const std::vector<double> &b) {
    double s = 0;
    for (std::size_t j = 0; j < a.size(); ++j) s += (a[j] - b[j]) * (a[j] - b[j]);
    return s;
  };
  std::vector<std::vector<double>> centres{points[std::uniform_int_distribution<std::size_t>(0, n - 1)(rng)]};
  std::vector<double> nearest(n, std::numeric_limits<double>::infinity());
  while (centres.size() < static_cast<std::size_t>(k)) {  // k-means++
    double total = 0;
    for (std::size_t i = 0; i < n; ++i) total += nearest[i] = std::min(nearest[i], dist2(points[i], centres.back()));
    if (!(total > 0)) {
      centres.push_back(points[centres.size() % n]);
      continue;
    }
    double r = std::uniform_real_distribution<double>(0, total)(rng);
    std::size_t pick = 0;
    for (; pick + 1 < n && (r -= nearest[pick]) > 0; ++pick) {}
    centres.push_back(points[pick]);
  }
  std::vector<int> label(n, -1);
  for (int it = 0; it < iterations; ++it) {
    bool changed = false;
    for (std::size_t i = 0; i < n; ++i) {
      int best = 0;
      double bestD = std::numeric_limits<double>::infinity();
      for (int c = 0; c < k; ++c) {
        const double d = dist2(points[i], centres[static_cast<std::size_t>(c)]);
        if (d < bestD) bestD = d, best = c;
      }
      changed |= label[i] != best;
      label[i] = best;
    }
    if (!changed) break;
    std::vector<std::vector<double>> sum(static_cast<std::size_t>(k), std::vector<double>(points[0].size(), 0.0));
    std::vector<int> count(static_cast<std::size_t>(k), 0);
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t j = 0; j < points[i].size(); ++j) sum[static_cast<std::size_t>(label[i])][j] += points[i][j];
      ++count[static_cast<std::size_t>(label[i])];
    }
    for (int c = 0; c < k; ++c)
      if (count[static_cast<std::size_t>(c)] > 0)
        for (double &v : sum[static_cast<std::size_t>(c)]) v /= count[static_cast<std::size_t>(c)];
      else
        sum[static_cast<std::size_t>(c)] = centres[static_cast<std::size_t>(c)];  // keep an empty cluster's centre
    centres = sum;
  }
  return label;
}

namespace {

// Rows as a float64 tensor, standardised in place; `mean` and `scale` receive the column statistics.
torch::Tensor standardised(const std::vector<std::vector<double>> &rows, torch::Tensor &mean, torch::Tensor &scale) {
  const auto n = static_cast<int64_t>(rows.size());
  const auto d = static_cast<int64_t>(rows[0].size());
  torch::Tensor x = torch::empty({n, d}, torch::kFloat64);
  auto a = x.accessor<double, 2>();
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < d; ++j) a[i][j] = rows[static_cast<std::size_t>(i)][static_cast<std::size_t>(j)];
  // Population std; a constant column is only centred.
  mean = x.mean(0, true);
  x = x - mean;
  scale = x.pow(2).mean(0, true).sqrt();
  scale = torch::where(scale > 1e-12, scale, torch::ones_like(scale));
  return x / scale;
}

// Eigenvectors of the correlation matrix of standardised `x` ([d, m], largest eigenvalue first,
// LAPACK through LibTorch), signed so that each one's largest loading is positive.
torch::Tensor topAxes(const torch::Tensor &x, int components, std::vector<double> *explained) {
  const auto [values, vectors] = torch::linalg::eigh(x.t().mm(x) / static_cast<double>(x.size(0)), "L");
  const torch::Tensor order = values.argsort(0, true);
  const int64_t m = std::min<int64_t>(std::max(1, components), x.size(1));
  const torch::Tensor top = order.narrow(0, 0, m);
  if (explained) {
    const torch::Tensor positive = values.clamp_min(0);
    const double total = positive.sum().item<double>();
    explained->clear();
    for (int64_t k = 0; k < m; ++k) explained->push_back(total > 0 ? positive[top[k]].item<double>() / total : 0.0);
  }
  torch::Tensor v = vectors.index_select(1, top);
  const torch::Tensor pivot = v.abs().argmax(0);
  return v * v.gather(0, pivot.unsqueeze(0)).sign();
}

std::vector<double> row(const torch::Tensor &t) {
  const torch::Tensor c = t.reshape({-1}).contiguous();
  return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

}  // namespace

PrincipalAxes principalAxes(const std::vector<std::vector<double>> &rows, int components) {
  PrincipalAxes out;
  if (rows.empty()) return out;
  torch::Tensor mean, scale;
  const torch::Tensor v = topAxes(standardised(rows, mean, scale), components, &out.explained);
  out.mean = row(mean);
  out.scale = row(scale);
  for (int64_t k = 0; k < v.size(1); ++k) out.axes.push_back(row(v.select(1, k)));
  return out;
}

std::vector<std::vector<double>> principalComponents(const std::vector<std::vector<double>> &rows, int components,
                                                     std::vector<double> *explained) {
  if (rows.empty()) return {};
  torch::Tensor mean, scale;
  const torch::Tensor x = standardised(rows, mean, scale);
  const torch::Tensor scores = x.mm(topAxes(x, components, explained)).contiguous();
  const auto n = scores.size(0), m = scores.size(1);
  std::vector<std::vector<double>> out(static_cast<std::size_t>(n), std::vector<double>(static_cast<std::size_t>(m)));
  const auto s = scores.accessor<double, 2>();
  for (int64_t i = 0; i < n; ++i)
    for (int64_t k = 0; k < m; ++k) out[static_cast<std::size_t>(i)][static_cast<std::size_t>(k)] = s[i][k];
  return out;
}

}  // namespace musecl
