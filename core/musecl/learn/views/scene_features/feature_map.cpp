// The dense feature raster of a scene: see SceneEncoder::writeFeatures.
#include "musecl/learn/scene_features.h"
#include "musecl/learn/train/context.h"
#include "musecl/learn/views/scene_features/scene_net.h"

#include <cmath>
#include <limits>
#include <stdexcept>

namespace musecl {

namespace {

using namespace train;

// For each of `count` output pixels from `first`, the pooled cell whose tile is centred nearest
// the output pixel's centre. `origin`: the window's first scene pixel; `cells`: the pooled length.
torch::Tensor nearestCells(int first, int count, int stride, int origin, int tile, std::int64_t cells) {
  std::vector<std::int64_t> index(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i) {
    const double centre = (first + i) * static_cast<double>(stride) + stride / 2.0 - origin;
    // Half-way ties go to the lower cell: the trunk's cells are 4 px, the output pixel's centre
    // may fall between two; either way the tile is within 2 px of where it should be.
    const auto c = static_cast<std::int64_t>(std::ceil((centre - tile / 2.0) / kSceneCellPixels - 0.5));
    index[static_cast<std::size_t>(i)] = std::clamp<std::int64_t>(c, 0, cells - 1);
  }
  return torch::tensor(index, torch::kLong);
}

// The window index of the scene pixel under each output pixel's centre (the last scene pixel for an
// output pixel that overhangs the scene's edge).
torch::Tensor centrePixels(int first, int count, int stride, int origin, int sceneSize) {
  std::vector<std::int64_t> index(static_cast<std::size_t>(count));
  for (int i = 0; i < count; ++i)
    index[static_cast<std::size_t>(i)] = std::min((first + i) * stride + stride / 2, sceneSize - 1) - origin;
  return torch::tensor(index, torch::kLong);
}

struct Block {
  int x = 0, y = 0, w = 0, h = 0;  // in output pixels
};

// One encoder's tiles over the window: its trunk and a moving mean of one tile, [F, rows, cols].
torch::Tensor pooledTiles(const SceneEncoder::Impl &m, const torch::Tensor &pixels, int cellsPerTile) {
  return torch::avg_pool2d(m.net->trunk(pixels), {cellsPerTile, cellsPerTile}, {1, 1}).cpu()[0];
}

// One block of output pixels: the scene window around it through the trunk, a moving mean of one
// tile, the nearest pooled cell per output pixel, projected on the principal axes; for an
// ensemble, the mean of its encoders' projections.
torch::Tensor featureBlock(const SceneEncoder::Impl &e, const SceneSource &scene, const Block &b, int stride,
                           const torch::Device &device) {
  const int tile = e.info.tileSize, cellsPerTile = tile / kSceneCellPixels;
  const int halo = (tile / 2 + 24 + kSceneCellPixels - 1) / kSceneCellPixels * kSceneCellPixels;
  auto roundUp = [](int v) { return (v + kSceneCellPixels - 1) / kSceneCellPixels * kSceneCellPixels; };
  const int x0 = b.x * stride - halo, y0 = b.y * stride - halo;
  const int w = roundUp(b.w * stride + 2 * halo), h = roundUp(b.h * stride + 2 * halo);
  const int c = scene.channels();
  torch::Tensor pixels = torch::empty({1, c, h, w});
  torch::Tensor valid = torch::empty({1, 1, h, w}, torch::kUInt8);
  scene.read(x0, y0, w, h, pixels.data_ptr<float>(), valid.data_ptr<std::uint8_t>());
  const torch::Tensor input = pixels.to(device);
  torch::Tensor sum;
  forEachEncoder(e, [&](const SceneEncoder::Impl &m) {
    const torch::Tensor pooled = pooledTiles(m, input, cellsPerTile);
    const torch::Tensor rows = nearestCells(b.y, b.h, stride, y0, tile, pooled.size(1));
    const torch::Tensor cols = nearestCells(b.x, b.w, stride, x0, tile, pooled.size(2));
    const torch::Tensor f = m.project(pooled.index_select(1, rows).index_select(2, cols).permute({1, 2, 0}));
    sum = sum.defined() ? sum + f : f;  // [h, w, F]
  });
  if (!e.more.empty()) sum = sum / static_cast<double>(e.more.size() + 1);
  torch::Tensor out = sum.permute({2, 0, 1}).contiguous();
  // An output pixel has a feature where the scene has data under its centre.
  const torch::Tensor enough = valid[0][0]
                                   .index_select(0, centrePixels(b.y, b.h, stride, y0, scene.height()))
                                   .index_select(1, centrePixels(b.x, b.w, stride, x0, scene.width()))
                                   .gt(0);
  out.masked_fill_(enough.logical_not().unsqueeze(0), std::numeric_limits<float>::quiet_NaN());
  return out;
}

}  // namespace

void SceneEncoder::writeFeatures(const SceneSource &scene, int stride, FeatureSink &sink, DeviceChoice deviceChoice,
                                 int threads, const ProgressCallback &progress) const {
  const Impl &e = *impl_;
  if (scene.channels() != e.info.channels)
    throw std::invalid_argument("the scene has " + std::to_string(scene.channels()) +
                                " band(s) for the encoder and the encoder was trained on " +
                                std::to_string(e.info.channels));
  if (stride < 1) throw std::invalid_argument("the stride is " + std::to_string(stride) + "; it must be >= 1");
  std::string deviceName;
  const torch::Device device = resolveDevice(deviceChoice, deviceName);
  TorchThreadsLease lease(threads,
                          [&progress] {
                            return !progress || progress(TrainingProgress{"waiting for another run", 0, 0, 0, 0, 0, 0});
                          },
                          {});
  torch::NoGradGuard noGrad;
  forEachEncoder(e, [&device](const Impl &m) {
    m.net->eval();
    m.net->to(device);
  });
  const int outW = (scene.width() + stride - 1) / stride, outH = (scene.height() + stride - 1) / stride;
  // About 512 scene pixels a side per block: the trunk's activations stay in tens of megabytes.
  const int side = std::max(1, 512 / stride);
  const int blocksX = (outW + side - 1) / side, blocksY = (outH + side - 1) / side;
  const int blocks = blocksX * blocksY;
  for (int by = 0; by < blocksY; ++by)
    for (int bx = 0; bx < blocksX; ++bx) {
      const Block b{bx * side, by * side, std::min(side, outW - bx * side), std::min(side, outH - by * side)};
      const torch::Tensor out = featureBlock(e, scene, b, stride, device);
      sink.write(b.x, b.y, b.w, b.h, out.data_ptr<float>());
      const int done = by * blocksX + bx + 1;
      if (progress && !progress(TrainingProgress{"embedding the scene", done, blocks, done, blocks, 0,
                                                 static_cast<double>(done) / blocks}))
        throw TrainingCancelled("cancelled while writing the feature raster");
    }
  forEachEncoder(e, [](const Impl &m) { m.net->to(torch::kCPU); });
}

}  // namespace musecl
