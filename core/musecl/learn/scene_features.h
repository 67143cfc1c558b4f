// Scene features (issue 22): an image encoder learned without labels from the whole raster, not
// from one chip per region, and the feature raster it makes. Thousands of tiles are drawn over the
// scene; two tiles a few pixels apart, each randomly rotated, mirrored and jittered in brightness,
// are a positive pair, every other tile of the batch a negative (InfoNCE): nearby ground looks
// alike whatever its orientation, which is what land cover and urban texture are (Tile2Vec's
// spatial positives with SimCLR's in-batch negatives and augmentations). The encoder is fully
// convolutional, so the feature raster is one dense pass over windows of the scene, block by block;
// its bands are rotated to principal components (band 1 varies most), so that the first three
// shown as RGB are a readable picture. Public API, no LibTorch type.
#pragma once

#include "musecl/learn/training.h"  // DeviceChoice, ProgressCallback, LogCallback
#include "musecl/radiometry.h"
#include "musecl/scene.h"

#include <cstdint>
#include <memory>
#include <string>

namespace musecl {

struct SceneFeatureOptions {
  int tileSize = 16;    // pixels: the window one feature vector describes (a multiple of 4, >= 8)
  int features = 16;    // bands of the feature raster
  int steps = 300;      // optimiser steps
  int batchSize = 128;  // tile pairs per step
  double learningRate = 1e-3;
  double temperature = 0.1;
  std::uint64_t seed = 42;
  // Encoders learned from different seeds; each further one's features are rotated onto the
  // first's (orthogonal Procrustes over tiles of the scene) and the feature raster is their mean.
  // musecl:imagefeatures offers it; musecl:train's ensembles give each training its own encoder
  // and features instead, which made the better region view (BENCHMARKS.md, "Seed ensembles").
  int runs = 1;
  DeviceChoice device = DeviceChoice::Auto;
  int threads = 0;  // 0: automatic (thread_policy.h)
};

struct SceneEncoderInfo {
  int channels = 0;
  int features = 0;
  int tileSize = 0;
  Radiometry radiometry;  // how the scene's bands were scaled for the encoder
  std::uint64_t seed = 0;
  std::string summary;  // "16 features from 16 px tiles of 3 channel(s), 300 steps, seed 42"
};

// The trained encoder; cheap to copy (shared).
class SceneEncoder {
 public:
  // Learns from `scene` (scaled by `radiometry`, which the encoder keeps for the next scene).
  // Throws std::invalid_argument for options or a scene that cannot work (the tile larger than the
  // scene; no tile with half its pixels valid), naming the numbers; TrainingCancelled when
  // `progress` says stop.
  static SceneEncoder train(const SceneSource &scene, const Radiometry &radiometry, const SceneFeatureOptions &options,
                            const ProgressCallback &progress, const LogCallback &log);
  // From an encoder file (write()) or a MuseCL model trained with scene features. Throws
  // std::runtime_error naming the file.
  static SceneEncoder read(const std::string &path);
  // Atomically: a partial file never replaces an existing one.
  void write(const std::string &path) const;

  const SceneEncoderInfo &info() const;
  // The feature raster: output pixel (i, j) describes the tile centred on scene pixels
  // [i * stride, (i + 1) * stride); ceil(width / stride) x ceil(height / stride) pixels of
  // info().features bands, NaN where under half the tile is valid. Memory is bounded by one block
  // of tiles, not by the scene. Throws std::invalid_argument when the scene's channel count is not
  // the encoder's; TrainingCancelled when `progress` says stop.
  void writeFeatures(const SceneSource &scene, int stride, FeatureSink &sink, DeviceChoice device, int threads,
                     const ProgressCallback &progress) const;

  struct Impl;
  explicit SceneEncoder(std::shared_ptr<Impl> impl);
  const std::shared_ptr<Impl> &impl() const { return impl_; }

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace musecl
