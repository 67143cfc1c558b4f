// Image encoders of MuseCL as LibTorch modules (LibTorch ships no torchvision models for C++).
//
// ResNet-18 (remote sensing, 256 px in the paper) and Inception v3 (street view, 299 px) follow
// torchvision's architectures layer for layer, including parameter names ("layer1.0.conv1",
// "Mixed_5b.branch1x1.conv"), so ImageNet weights exported from torchvision as TorchScript load
// by name. The light backbone is a 4-stage CNN for CPU-only users.
//
// Forward cost per image in multiply-accumulates, and parameters without the classifier head:
// ResNet-18 at 256 px 2.4 GMAC, 11.2 M; Inception v3 at 299 px 5.7 GMAC, 21.8 M; light CNN at
// 256 px 0.24 GMAC, 0.39 M. Training (forward + backward) costs about three times the forward.
// Internal header: only core translation units include it (it pulls in LibTorch).
#pragma once

#include <torch/nn.h>

#include <string>

namespace musecl::nn {

enum class Backbone { ResNet18, InceptionV3, Light };

Backbone backboneFromName(const std::string &name);  // "resnet18" | "inception_v3" | "light"
std::string backboneName(Backbone backbone);

// How [0, 1] pixels are scaled before the backbone, matching the weights a user may load:
// torchvision's ResNet weights were trained on ImageNet-standardised inputs (mean 0.485/0.456/0.406,
// std 0.229/0.224/0.225); its Inception v3 weights (ported from TensorFlow) on [-1, 1], which
// torchvision's own model reaches by undoing the ImageNet standardisation in `transform_input`.
// Stored in the model file; files written before it was recorded used ImageNet for every backbone.
enum class InputConvention { ImageNet, MinusOneToOne };
InputConvention defaultInputConvention(Backbone backbone);  // Inception: [-1, 1]; others: ImageNet
std::string inputConventionName(InputConvention c);         // "imagenet" | "minus1to1"
InputConvention inputConventionFromName(const std::string &name);

struct ConvBnImpl : torch::nn::Module {
  // torchvision's BasicConv2d: conv without bias, batch norm (eps 0.001), ReLU.
  ConvBnImpl(int64_t in, int64_t out, torch::ExpandingArray<2> kernel, torch::ExpandingArray<2> stride = 1,
             torch::ExpandingArray<2> padding = 0);
  torch::Tensor forward(const torch::Tensor &x);
  torch::nn::Conv2d conv{nullptr};
  torch::nn::BatchNorm2d bn{nullptr};
};
TORCH_MODULE(ConvBn);

struct BasicBlockImpl : torch::nn::Module {
  BasicBlockImpl(int64_t in, int64_t out, int64_t stride);
  torch::Tensor forward(const torch::Tensor &x);
  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr};
  torch::nn::Sequential downsample{nullptr};
};
TORCH_MODULE(BasicBlock);

struct ResNet18Impl : torch::nn::Module {
  // classes > 0 adds torchvision's final fc (for parameter-count checks); 0 = features only (512).
  explicit ResNet18Impl(int64_t classes = 0, int64_t inChannels = 3);
  torch::Tensor forward(torch::Tensor x);
  torch::nn::Conv2d conv1{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr};
  torch::nn::Sequential layer1{nullptr}, layer2{nullptr}, layer3{nullptr}, layer4{nullptr};
  torch::nn::Linear fc{nullptr};
};
TORCH_MODULE(ResNet18);

struct InceptionV3Impl : torch::nn::Module {
  // classes > 0 adds the final fc; auxLogits adds the auxiliary head (not used in forward here,
  // kept so parameter counts and weight names match torchvision). 0 classes = features (2048).
  explicit InceptionV3Impl(int64_t classes = 0, bool auxLogits = false, int64_t inChannels = 3);
  torch::Tensor forward(torch::Tensor x);
  torch::nn::Sequential stem{nullptr};  // forward order; its modules are registered by name above
  torch::nn::Linear fc{nullptr};
};
TORCH_MODULE(InceptionV3);

struct LightCnnImpl : torch::nn::Module {
  explicit LightCnnImpl(int64_t inChannels = 3);
  torch::Tensor forward(torch::Tensor x);
  torch::nn::Sequential features{nullptr};
};
TORCH_MODULE(LightCnn);

// A backbone plus a linear projection to the embedding size; input [B, C, H, W] in [0, 1] with C
// input channels: 3 for RGB, or the N bands of a multispectral raster (the first convolution takes
// N channels).
struct ImageEncoderImpl : torch::nn::Module {
  ImageEncoderImpl(Backbone backbone, int64_t embeddingSize, int64_t inChannels = 3);
  int64_t inChannels() const { return inChannels_; }
  torch::Tensor forward(torch::Tensor images);
  int64_t featureSize() const { return featureSize_; }
  Backbone backbone() const { return backbone_; }
  InputConvention inputConvention() const { return input_; }
  void setInputConvention(InputConvention c) { input_ = c; }
  // Copies parameters and buffers by name from a TorchScript file (e.g. torchvision ImageNet
  // weights exported with torch.jit.script). Returns the number of tensors copied; throws
  // std::runtime_error for an unreadable file, a shape mismatch, or a file that matches nothing.
  int loadPretrainedBackbone(const std::string &path);

  torch::nn::AnyModule net;
  std::shared_ptr<torch::nn::Module> netModule;
  torch::nn::Linear projection{nullptr};

 private:
  Backbone backbone_;
  int64_t inChannels_;
  int64_t featureSize_;
  InputConvention input_;
  torch::Tensor inputMean_, inputStd_;  // [1, C, 1, 1] ImageNet standardisation (InputConvention::ImageNet)
};
TORCH_MODULE(ImageEncoder);

int64_t parameterCount(const torch::nn::Module &module);

// RGB first-convolution weights [out, 3, kh, kw] for an input of `channels` bands: channels 1-3
// take the R, G, B filters, every further channel (every channel, below 3) the mean of the three,
// and the whole is scaled
// by 3 / channels so that a uniform input excites the layer as it did in RGB. The rule used when
// pretrained RGB weights are loaded into an N-band encoder.
torch::Tensor adaptFirstConvWeight(const torch::Tensor &rgb, int64_t channels);

}  // namespace musecl::nn
