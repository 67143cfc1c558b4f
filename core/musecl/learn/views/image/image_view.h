// The two image views (remote sensing, street view): decoding with a memory-bounded cache, seeded
// augmentation, triplet training of an encoder in passes of bounded size (paper eqs. 5-6), and
// the embedding of every region's images. Internal header (LibTorch).
#pragma once

#include "musecl/learn/nn/encoders.h"
#include "musecl/learn/train/similarity.h"
#include "musecl/learn/train/context.h"

#include <random>
#include <string>
#include <unordered_map>
#include <vector>

namespace musecl::train {

// Decoded images, kept while they fit a memory budget so that later epochs decode nothing.
class ImageCache {
 public:
  // `channels`: what the loader writes per pixel (3 for RGB, N for an N-band chip).
  ImageCache(const ImageLoader &loader, std::size_t budgetBytes, int channels = 3)
      : loader_(loader), budget_(budgetBytes), channels_(channels) {}
  // [channels, size, size] uint8, or an undefined tensor if the file cannot be decoded.
  torch::Tensor get(const std::string &path, int size);

 private:
  const ImageLoader &loader_;
  std::size_t budget_;
  int channels_;
  std::size_t used_ = 0;
  std::unordered_map<std::string, torch::Tensor> cache_;
};

enum class Augment { None, Rotate90, HorizontalFlip };

struct ImageStage {
  std::string name;
  std::vector<std::vector<std::string>> imagesPerRegion;  // empty: region has none
  int size = 256;
  Augment augment = Augment::None;
  int channels = 3;  // input channels of the encoder: 3 (RGB) or the N bands of a multispectral chip
};

// [C, S, S] uint8 in, float in [0, 255] out. The draws happen in a fixed order, so a seeded `rng`
// gives the same images on every run.
torch::Tensor augmented(const torch::Tensor &chw, Augment kind, Augmentation level, std::mt19937_64 &rng);

ImageStage remoteSensingStage(const RegionTable &table, int size);
ImageStage streetViewStage(const RegionTable &table, int size);
std::vector<std::uint32_t> regionsWithImages(const ImageStage &stage);

void trainImageEncoder(nn::ImageEncoder &encoder, const ImageStage &stage, const TripletSampler &sampler,
                       ImageCache &cache, Context &ctx, std::uint64_t stageSeed);

// Embeddings of every region that has images, a region's several images averaged.
ViewVectors embedImages(nn::ImageEncoder &encoder, const ImageStage &stage, ImageCache &cache, Context &ctx);

}  // namespace musecl::train
