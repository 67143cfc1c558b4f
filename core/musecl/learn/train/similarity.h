// Which regions are alike: the similarity that picks positives and negatives for the triplet loss.
//
// Paper: mobility distance d_PM(i,j) = sqrt((in_i - in_j)^2 + (out_i - out_j)^2) (eqs. 1-2), POI
// distance = Euclidean distance of the category-count vectors (eqs. 3-4), similarity lambda = 1/d.
// Two decisions made here:
//  - Scale. Counts span orders of magnitude (Manhattan inflow: 2e2 to 2e5 trips), so raw distances
//    are dominated by the busiest regions. The default applies log1p to every count first;
//    SimilarityScale::Raw keeps the paper's exact form.
//  - d = 0. lambda = 1/d is infinite for identical regions. Only the ranking of similarities is
//    ever used (nearest = most similar), so identical regions are simply the most similar and no
//    division happens; similarityFromDistance() maps d = 0 to +infinity for reporting.
// When POIs or mobility are absent, region centroids give a geographic distance instead
// (Tile2Vec: near regions are positives, far ones negatives).
#pragma once

#include <cstdint>
#include <random>
#include <vector>

namespace musecl {

enum class SimilarityScale { Log1p, Raw };

// Feature vectors whose Euclidean distance is the paper's distance.
std::vector<std::vector<float>> poiDistributionFeatures(const std::vector<std::vector<double>> &counts,
                                                        SimilarityScale scale);
std::vector<std::vector<float>> mobilityFeatures(const std::vector<double> &inflow, const std::vector<double> &outflow,
                                                 SimilarityScale scale);
std::vector<std::vector<float>> geographicFeatures(const std::vector<double> &x, const std::vector<double> &y);
// Two kinds of similarity at once (remote sensing with POIs and flows): each block is centred and
// divided by its root-mean-square norm before they are joined, so each carries the same weight
// whatever its units or number of columns.
std::vector<std::vector<float>> joinedFeatures(const std::vector<std::vector<float>> &a,
                                               const std::vector<std::vector<float>> &b);

double euclideanDistance(const std::vector<float> &a, const std::vector<float> &b);
double similarityFromDistance(double d);  // 1/d, +infinity for d = 0

struct Triplet {
  std::uint32_t anchor;
  std::uint32_t positive;
  std::uint32_t negative;
};

struct TripletOptions {
  // Positive: drawn from this many nearest candidates. Negative: drawn from the candidates farther
  // than the anchor's median distance. So every positive is strictly more similar than every negative.
  int positivePool = 3;
};

class TripletSampler {
 public:
  // `candidates`: regions that may appear in triplets (e.g. those with an image); needs >= 3.
  // Throws std::invalid_argument otherwise.
  TripletSampler(std::vector<std::vector<float>> features, std::vector<std::uint32_t> candidates,
                 TripletOptions options = {});

  // One triplet per candidate anchor, in shuffled order.
  std::vector<Triplet> epoch(std::mt19937_64 &rng) const;

  double distance(std::uint32_t a, std::uint32_t b) const { return euclideanDistance(features_[a], features_[b]); }
  const std::vector<std::uint32_t> &candidates() const { return candidates_; }

 private:
  std::vector<std::vector<float>> features_;
  std::vector<std::uint32_t> candidates_;
  std::vector<std::vector<std::uint32_t>> nearest_;  // per candidate position
  std::vector<double> median_;                       // per candidate position
  std::vector<std::vector<std::uint32_t>> far_;      // per candidate position
};

}  // namespace musecl
