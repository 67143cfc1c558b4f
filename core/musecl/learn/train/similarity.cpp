#include "musecl/learn/train/similarity.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>

namespace musecl {

namespace {
float scaled(double v, SimilarityScale scale) {
  return static_cast<float>(scale == SimilarityScale::Log1p ? std::log1p(std::max(0.0, v)) : v);
}
}  // namespace

std::vector<std::vector<float>> poiDistributionFeatures(const std::vector<std::vector<double>> &counts,
                                                        SimilarityScale scale) {
  std::vector<std::vector<float>> out;
  out.reserve(counts.size());
  for (const auto &row : counts) {
    std::vector<float> f(row.size());
    for (std::size_t k = 0; k < row.size(); ++k) f[k] = scaled(row[k], scale);
    out.push_back(std::move(f));
  }
  return out;
}

std::vector<std::vector<float>> mobilityFeatures(const std::vector<double> &inflow, const std::vector<double> &outflow,
                                                 SimilarityScale scale) {
  if (inflow.size() != outflow.size()) throw std::invalid_argument("inflow and outflow differ in length");
  std::vector<std::vector<float>> out;
  out.reserve(inflow.size());
  for (std::size_t i = 0; i < inflow.size(); ++i) out.push_back({scaled(inflow[i], scale), scaled(outflow[i], scale)});
  return out;
}

std::vector<std::vector<float>> geographicFeatures(const std::vector<double> &x, const std::vector<double> &y) {
  if (x.size() != y.size()) throw std::invalid_argument("x and y differ in length");
  // Centred so that float keeps sub-metre precision with projected coordinates of 1e6-1e7.
  const double mx = x.empty() ? 0 : std::accumulate(x.begin(), x.end(), 0.0) / x.size();
  const double my = y.empty() ? 0 : std::accumulate(y.begin(), y.end(), 0.0) / y.size();
  std::vector<std::vector<float>> out;
  out.reserve(x.size());
  for (std::size_t i = 0; i < x.size(); ++i)
    out.push_back({static_cast<float>(x[i] - mx), static_cast<float>(y[i] - my)});
  return out;
}

namespace {
// Rows of `block` centred and scaled to a root-mean-square norm of 1, appended to `out`.
void appendNormalised(const std::vector<std::vector<float>> &block, std::vector<std::vector<float>> &out) {
  const std::size_t n = block.size(), d = n ? block[0].size() : 0;
  std::vector<double> mean(d, 0.0);
  for (const auto &row : block)
    for (std::size_t k = 0; k < d; ++k) mean[k] += row[k] / static_cast<double>(n);
  double squares = 0;
  for (const auto &row : block)
    for (std::size_t k = 0; k < d; ++k) squares += (row[k] - mean[k]) * (row[k] - mean[k]);
  const double rms = std::sqrt(squares / std::max<std::size_t>(1, n));
  const double scale = rms > 0 ? 1.0 / rms : 0.0;  // a constant block separates nothing
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t k = 0; k < d; ++k) out[i].push_back(static_cast<float>((block[i][k] - mean[k]) * scale));
}
}  // namespace

std::vector<std::vector<float>> joinedFeatures(const std::vector<std::vector<float>> &a,
                                               const std::vector<std::vector<float>> &b) {
  if (a.size() != b.size()) throw std::invalid_argument("the two similarity blocks differ in length");
  std::vector<std::vector<float>> out(a.size());
  appendNormalised(a, out);
  appendNormalised(b, out);
  return out;
}

double euclideanDistance(const std::vector<float> &a, const std::vector<float> &b) {
  double sum = 0;
  for (std::size_t k = 0; k < a.size(); ++k) {
    const double d = static_cast<double>(a[k]) - b[k];
    sum += d * d;
  }
  return std::sqrt(sum);
}

double similarityFromDistance(double d) { return d > 0 ? 1.0 / d : std::numeric_limits<double>::infinity(); }

TripletSampler::TripletSampler(std::vector<std::vector<float>> features, std::vector<std::uint32_t> candidates,
                               TripletOptions options)
    : features_(std::move(features)), candidates_(std::move(candidates)) {
  const std::size_t n = candidates_.size();
  if (n < 3) throw std::invalid_argument("triplets need at least 3 regions with data, got " + std::to_string(n));
  for (std::uint32_t c : candidates_)
    if (c >= features_.size()) throw std::invalid_argument("candidate region index out of range");
  const std::size_t pool = std::max<std::size_t>(
      1, std::min<std::size_t>(static_cast<std::size_t>(std::max(1, options.positivePool)), (n - 1) / 2));
  nearest_.resize(n);
  median_.resize(n);
  far_.resize(n);
  std::vector<std::pair<double, std::uint32_t>> byDistance;
  for (std::size_t a = 0; a < n; ++a) {
    byDistance.clear();
    for (std::size_t b = 0; b < n; ++b)
      if (b != a) byDistance.emplace_back(distance(candidates_[a], candidates_[b]), static_cast<std::uint32_t>(b));
    // Ties in distance are broken by candidate order, so the sampler is deterministic.
    std::sort(byDistance.begin(), byDistance.end());
    const double median = byDistance[byDistance.size() / 2].first;
    median_[a] = median;
    for (std::size_t k = 0; k < pool && byDistance[k].first < median; ++k) nearest_[a].push_back(byDistance[k].second);
    if (nearest_[a].empty()) nearest_[a].push_back(byDistance.front().second);
    for (const auto &[d, b] : byDistance)
      if (d > median) far_[a].push_back(b);
    if (far_[a].empty())  // every other region is equally far: take the farthest
      far_[a].push_back(byDistance.back().second);
  }
}

std::vector<Triplet> TripletSampler::epoch(std::mt19937_64 &rng) const {
  std::vector<std::size_t> order(candidates_.size());
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), rng);
  std::vector<Triplet> triplets;
  triplets.reserve(order.size());
  for (std::size_t a : order) {
    const auto &near = nearest_[a];
    const auto &far = far_[a];
    const std::uint32_t p = near[std::uniform_int_distribution<std::size_t>(0, near.size() - 1)(rng)];
    const std::uint32_t q = far[std::uniform_int_distribution<std::size_t>(0, far.size() - 1)(rng)];
    triplets.push_back({candidates_[a], candidates_[p], candidates_[q]});
  }
  return triplets;
}

}  // namespace musecl
