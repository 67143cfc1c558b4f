// The scene encoder's network and what a trained encoder holds. Internal header (LibTorch).
#pragma once

#include "musecl/learn/scene_features.h"

#include <torch/torch.h>

#include <memory>
#include <vector>

namespace musecl::train {

// Fully convolutional: trunk() maps C x H x W pixels to F x H/4 x W/4 cells (two 2x poolings);
// a tile's feature vector is the mean of its cells, so a dense feature map is the trunk over a
// large window followed by a moving mean, with no per-tile pass.
struct SceneNetImpl : torch::nn::Module {
  SceneNetImpl(int channels, int features);
  torch::Tensor trunk(const torch::Tensor &x);
  torch::Tensor forward(const torch::Tensor &tiles);  // [B, C, T, T] -> [B, F]
  torch::nn::Sequential body{nullptr};
};
TORCH_MODULE(SceneNet);

constexpr int kSceneCellPixels = 4;  // pixels per trunk cell along each axis

}  // namespace musecl::train

namespace musecl {

struct SceneEncoder::Impl {
  SceneEncoderInfo info;
  mutable train::SceneNet net{nullptr};  // eval() and to() while embedding
  torch::Tensor mean;                    // [F]: the features' mean over the training scene
  torch::Tensor rotation;                // [F, F]: columns are principal axes, largest variance first
  // The further encoders of an ensemble (SceneFeatureOptions::runs), each with its rotation already
  // turned onto this encoder's bands; the features are the mean over this encoder and them.
  std::vector<std::shared_ptr<Impl>> more;
  // (features - mean) x rotation, on [..., F].
  torch::Tensor project(const torch::Tensor &features) const { return (features - mean).matmul(rotation); }
  void save(torch::serialize::OutputArchive &archive) const;
  static std::shared_ptr<Impl> load(torch::serialize::InputArchive &archive);
};

namespace train {
// Every encoder of `e`: itself, then the ensemble's further ones.
template <typename Encoder, typename Each>
void forEachEncoder(Encoder &e, Each each) {
  each(e);
  for (const auto &m : e.more) each(*m);
}
}  // namespace train

}  // namespace musecl
