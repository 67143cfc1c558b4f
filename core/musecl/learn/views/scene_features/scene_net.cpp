// The scene encoder's network: see scene_net.h.
#include "musecl/learn/views/scene_features/scene_net.h"

namespace musecl::train {

namespace {
torch::nn::Sequential convBlock(torch::nn::Sequential s, int in, int out) {
  s->push_back(torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).padding(1).bias(false)));
  s->push_back(torch::nn::BatchNorm2d(out));
  s->push_back(torch::nn::ReLU(true));
  return s;
}
}  // namespace

SceneNetImpl::SceneNetImpl(int channels, int features) {
  torch::nn::Sequential s;
  s = convBlock(s, channels, 32);
  s = convBlock(s, 32, 32);
  s->push_back(torch::nn::MaxPool2d(2));
  s = convBlock(s, 32, 64);
  s = convBlock(s, 64, 64);
  s->push_back(torch::nn::MaxPool2d(2));
  s = convBlock(s, 64, 64);
  s->push_back(torch::nn::Conv2d(torch::nn::Conv2dOptions(64, features, 1)));
  body = register_module("body", s);
}

torch::Tensor SceneNetImpl::trunk(const torch::Tensor &x) { return body->forward(x); }

torch::Tensor SceneNetImpl::forward(const torch::Tensor &tiles) { return trunk(tiles).mean({2, 3}); }

}  // namespace musecl::train
