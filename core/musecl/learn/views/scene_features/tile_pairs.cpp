// Tiles over the whole scene: see tile_pairs.h.
#include "musecl/learn/views/scene_features/tile_pairs.h"

#include <algorithm>
#include <numeric>
#include <stdexcept>
#include <string>

namespace musecl::train {

TileSampler::TileSampler(const SceneSource &scene, int tile, std::uint64_t seed)
    : scene_(scene), tile_(tile), channels_(scene.channels()), rng_(seed) {
  if (tile > scene.width() || tile > scene.height())
    throw std::invalid_argument("the scene is " + std::to_string(scene.width()) + " x " +
                                std::to_string(scene.height()) + " pixels, smaller than one " + std::to_string(tile) +
                                " px tile");
  const auto area = static_cast<std::size_t>(tile) * static_cast<std::size_t>(tile);
  buffer_.resize(area * static_cast<std::size_t>(channels_));
  valid_.resize(area);
}

void TileSampler::draw(int &x, int &y, int nearX, int nearY, float *out) {
  const auto area = static_cast<std::size_t>(tile_) * static_cast<std::size_t>(tile_);
  for (int attempt = 0; attempt < 200; ++attempt) {
    if (nearX < 0) {
      x = std::uniform_int_distribution<int>(0, scene_.width() - tile_)(rng_);
      y = std::uniform_int_distribution<int>(0, scene_.height() - tile_)(rng_);
    } else {
      std::uniform_int_distribution<int> offset(-tile_, tile_);
      x = std::clamp(nearX + offset(rng_), 0, scene_.width() - tile_);
      y = std::clamp(nearY + offset(rng_), 0, scene_.height() - tile_);
    }
    scene_.read(x, y, tile_, tile_, out, valid_.data());
    const std::size_t valid = std::accumulate(valid_.begin(), valid_.end(), std::size_t{0});
    if (2 * valid >= area) return;
  }
  throw std::invalid_argument("200 tiles of " + std::to_string(tile_) + " px drawn over the " +
                              std::to_string(scene_.width()) + " x " + std::to_string(scene_.height()) +
                              " pixel scene all had under half their pixels valid (nodata)");
}

void TileSampler::augment(float *tile) {
  const int t = tile_;
  const auto area = static_cast<std::size_t>(t) * static_cast<std::size_t>(t);
  const int turns = std::uniform_int_distribution<int>(0, 3)(rng_);
  const bool mirror = std::uniform_int_distribution<int>(0, 1)(rng_) == 1;
  const float gain = std::uniform_real_distribution<float>(0.9f, 1.1f)(rng_);
  const float shift = std::uniform_real_distribution<float>(-0.05f, 0.05f)(rng_);
  std::copy(tile, tile + area * static_cast<std::size_t>(channels_), buffer_.begin());
  for (int c = 0; c < channels_; ++c) {
    const float *src = buffer_.data() + static_cast<std::size_t>(c) * area;
    float *dst = tile + static_cast<std::size_t>(c) * area;
    for (int r = 0; r < t; ++r)
      for (int q = 0; q < t; ++q) {
        int sr = r, sq = mirror ? t - 1 - q : q;
        for (int k = 0; k < turns; ++k) {  // a quarter turn: (r, q) <- (q, t - 1 - r)
          const int nr = sq, nq = t - 1 - sr;
          sr = nr;
          sq = nq;
        }
        dst[static_cast<std::size_t>(r) * static_cast<std::size_t>(t) + static_cast<std::size_t>(q)] =
            src[static_cast<std::size_t>(sr) * static_cast<std::size_t>(t) + static_cast<std::size_t>(sq)] * gain +
            shift;
      }
  }
}

TilePairs TileSampler::pairs(int count) {
  const std::int64_t t = tile_;
  TilePairs p{torch::empty({count, channels_, t, t}), torch::empty({count, channels_, t, t})};
  for (int b = 0; b < count; ++b) {
    int x = 0, y = 0, nx = 0, ny = 0;
    float *anchor = p.anchors[b].data_ptr<float>();
    float *neighbour = p.neighbours[b].data_ptr<float>();
    draw(x, y, -1, -1, anchor);
    draw(nx, ny, x, y, neighbour);
    augment(anchor);
    augment(neighbour);
  }
  return p;
}

torch::Tensor TileSampler::tiles(int count) {
  const std::int64_t t = tile_;
  torch::Tensor out = torch::empty({count, channels_, t, t});
  for (int b = 0; b < count; ++b) {
    int x = 0, y = 0;
    draw(x, y, -1, -1, out[b].data_ptr<float>());
  }
  return out;
}

}  // namespace musecl::train
