// Tiles drawn over the whole scene for the scene encoder: positive pairs (a tile and a neighbour
// at most one tile away, each augmented) and plain tiles (for the principal axes). Internal header
// (LibTorch).
#pragma once

#include "musecl/scene.h"

#include <torch/torch.h>

#include <cstdint>
#include <random>
#include <vector>

namespace musecl::train {

struct TilePairs {
  torch::Tensor anchors;     // [B, C, T, T]
  torch::Tensor neighbours;  // [B, C, T, T]
};

class TileSampler {
 public:
  // Throws std::invalid_argument when the tile does not fit in the scene.
  TileSampler(const SceneSource &scene, int tile, std::uint64_t seed);
  // Each augmented: a random quarter turn, mirror, and brightness/contrast jitter.
  TilePairs pairs(int count);
  torch::Tensor tiles(int count);  // unaugmented

 private:
  // A random position whose tile has at least half its pixels valid, read into `out` (C x T x T);
  // near: within one tile of (x, y), or anywhere when x < 0. Throws std::invalid_argument when
  // many draws found none.
  void draw(int &x, int &y, int nearX, int nearY, float *out);
  void augment(float *tile);

  const SceneSource &scene_;
  int tile_;
  int channels_;
  std::mt19937_64 rng_;
  std::vector<float> buffer_;
  std::vector<std::uint8_t> valid_;
};

}  // namespace musecl::train
