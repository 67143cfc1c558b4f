#include "musecl/learn/nn/encoders.h"

#include <torch/script.h>

#include <stdexcept>

namespace musecl::nn {

namespace F = torch::nn::functional;
using torch::nn::BatchNorm2d;
using torch::nn::BatchNorm2dOptions;
using torch::nn::Conv2d;
using torch::nn::Conv2dOptions;

Backbone backboneFromName(const std::string &name) {
  if (name == "resnet18") return Backbone::ResNet18;
  if (name == "inception_v3") return Backbone::InceptionV3;
  if (name == "light") return Backbone::Light;
  throw std::invalid_argument("unknown backbone '" + name + "' (resnet18, inception_v3, light)");
}

std::string backboneName(Backbone backbone) {
  switch (backbone) {
    case Backbone::ResNet18:
      return "resnet18";
    case Backbone::InceptionV3:
      return "inception_v3";
    case Backbone::Light:
      return "light";
  }
  return "light";
}

int64_t parameterCount(const torch::nn::Module &module) {
  int64_t n = 0;
  for (const auto &p : module.parameters()) n += p.numel();
  return n;
}

ConvBnImpl::ConvBnImpl(int64_t in, int64_t out, torch::ExpandingArray<2> kernel, torch::ExpandingArray<2> stride,
                       torch::ExpandingArray<2> padding) {
  conv = register_module("conv", Conv2d(Conv2dOptions(in, out, kernel).stride(stride).padding(padding).bias(false)));
  bn = register_module("bn", BatchNorm2d(BatchNorm2dOptions(out).eps(0.001)));
}

torch::Tensor ConvBnImpl::forward(const torch::Tensor &x) { return torch::relu(bn(conv(x))); }

// ---------------------------------------------------------------------------------- ResNet-18

BasicBlockImpl::BasicBlockImpl(int64_t in, int64_t out, int64_t stride) {
  conv1 = register_module("conv1", Conv2d(Conv2dOptions(in, out, 3).stride(stride).padding(1).bias(false)));
  bn1 = register_module("bn1", BatchNorm2d(out));
  conv2 = register_module("conv2", Conv2d(Conv2dOptions(out, out, 3).padding(1).bias(false)));
  bn2 = register_module("bn2", BatchNorm2d(out));
  if (stride != 1 || in != out)
    downsample = register_module(
        "downsample",
        torch::nn::Sequential(Conv2d(Conv2dOptions(in, out, 1).stride(stride).bias(false)), BatchNorm2d(out)));
}

torch::Tensor BasicBlockImpl::forward(const torch::Tensor &x) {
  torch::Tensor out = torch::relu(bn1(conv1(x)));
  out = bn2(conv2(out));
  return torch::relu(out + (downsample ? downsample->forward(x) : x));
}

ResNet18Impl::ResNet18Impl(int64_t classes, int64_t inChannels) {
  conv1 = register_module("conv1", Conv2d(Conv2dOptions(inChannels, 64, 7).stride(2).padding(3).bias(false)));
  bn1 = register_module("bn1", BatchNorm2d(64));
  auto stage = [](int64_t in, int64_t out, int64_t stride) {
    return torch::nn::Sequential(BasicBlock(in, out, stride), BasicBlock(out, out, 1));
  };
  layer1 = register_module("layer1", stage(64, 64, 1));
  layer2 = register_module("layer2", stage(64, 128, 2));
  layer3 = register_module("layer3", stage(128, 256, 2));
  layer4 = register_module("layer4", stage(256, 512, 2));
  if (classes > 0) fc = register_module("fc", torch::nn::Linear(512, classes));
}

torch::Tensor ResNet18Impl::forward(torch::Tensor x) {
  x = torch::relu(bn1(conv1(x)));
  x = F::max_pool2d(x, F::MaxPool2dFuncOptions(3).stride(2).padding(1));
  x = layer4->forward(layer3->forward(layer2->forward(layer1->forward(x))));
  x = F::adaptive_avg_pool2d(x, F::AdaptiveAvgPool2dFuncOptions(1)).flatten(1);
  return fc ? fc(x) : x;
}

// ---------------------------------------------------------------------------------- Inception v3

namespace {
using K = torch::ExpandingArray<2>;

torch::Tensor avgPool3(const torch::Tensor &x) {
  return F::avg_pool2d(x, F::AvgPool2dFuncOptions(3).stride(1).padding(1));
}
torch::Tensor maxPool3s2(const torch::Tensor &x) { return F::max_pool2d(x, F::MaxPool2dFuncOptions(3).stride(2)); }

struct InceptionAImpl : torch::nn::Module {
  InceptionAImpl(int64_t in, int64_t poolFeatures)
      : branch1x1(register_module("branch1x1", ConvBn(in, 64, 1))),
        branch5x5_1(register_module("branch5x5_1", ConvBn(in, 48, 1))),
        branch5x5_2(register_module("branch5x5_2", ConvBn(48, 64, 5, 1, 2))),
        branch3x3dbl_1(register_module("branch3x3dbl_1", ConvBn(in, 64, 1))),
        branch3x3dbl_2(register_module("branch3x3dbl_2", ConvBn(64, 96, 3, 1, 1))),
        branch3x3dbl_3(register_module("branch3x3dbl_3", ConvBn(96, 96, 3, 1, 1))),
        branch_pool(register_module("branch_pool", ConvBn(in, poolFeatures, 1))) {}
  torch::Tensor forward(const torch::Tensor &x) {
    return torch::cat({branch1x1(x), branch5x5_2(branch5x5_1(x)), branch3x3dbl_3(branch3x3dbl_2(branch3x3dbl_1(x))),
                       branch_pool(avgPool3(x))},
                      1);
  }
  ConvBn branch1x1, branch5x5_1, branch5x5_2, branch3x3dbl_1, branch3x3dbl_2, branch3x3dbl_3, branch_pool;
};
TORCH_MODULE(InceptionA);

struct InceptionBImpl : torch::nn::Module {
  explicit InceptionBImpl(int64_t in)
      : branch3x3(register_module("branch3x3", ConvBn(in, 384, 3, 2))),
        branch3x3dbl_1(register_module("branch3x3dbl_1", ConvBn(in, 64, 1))),
        branch3x3dbl_2(register_module("branch3x3dbl_2", ConvBn(64, 96, 3, 1, 1))),
        branch3x3dbl_3(register_module("branch3x3dbl_3", ConvBn(96, 96, 3, 2))) {}
  torch::Tensor forward(const torch::Tensor &x) {
    return torch::cat({branch3x3(x), branch3x3dbl_3(branch3x3dbl_2(branch3x3dbl_1(x))), maxPool3s2(x)}, 1);
  }
  ConvBn branch3x3, branch3x3dbl_1, branch3x3dbl_2, branch3x3dbl_3;
};
TORCH_MODULE(InceptionB);

struct InceptionCImpl : torch::nn::Module {
  InceptionCImpl(int64_t in, int64_t c7)
      : branch1x1(register_module("branch1x1", ConvBn(in, 192, 1))),
        branch7x7_1(register_module("branch7x7_1", ConvBn(in, c7, 1))),
        branch7x7_2(register_module("branch7x7_2", ConvBn(c7, c7, K({1, 7}), 1, K({0, 3})))),
        branch7x7_3(register_module("branch7x7_3", ConvBn(c7, 192, K({7, 1}), 1, K({3, 0})))),
        branch7x7dbl_1(register_module("branch7x7dbl_1", ConvBn(in, c7, 1))),
        branch7x7dbl_2(register_module("branch7x7dbl_2", ConvBn(c7, c7, K({7, 1}), 1, K({3, 0})))),
        branch7x7dbl_3(register_module("branch7x7dbl_3", ConvBn(c7, c7, K({1, 7}), 1, K({0, 3})))),
        branch7x7dbl_4(register_module("branch7x7dbl_4", ConvBn(c7, c7, K({7, 1}), 1, K({3, 0})))),
        branch7x7dbl_5(register_module("branch7x7dbl_5", ConvBn(c7, 192, K({1, 7}), 1, K({0, 3})))),
        branch_pool(register_module("branch_pool", ConvBn(in, 192, 1))) {}
  torch::Tensor forward(const torch::Tensor &x) {
    return torch::cat(
        {branch1x1(x), branch7x7_3(branch7x7_2(branch7x7_1(x))),
         branch7x7dbl_5(branch7x7dbl_4(branch7x7dbl_3(branch7x7dbl_2(branch7x7dbl_1(x))))), branch_pool(avgPool3(x))},
        1);
  }
  ConvBn branch1x1, branch7x7_1, branch7x7_2, branch7x7_3, branch7x7dbl_1, branch7x7dbl_2, branch7x7dbl_3,
      branch7x7dbl_4, branch7x7dbl_5, branch_pool;
};
TORCH_MODULE(InceptionC);

struct InceptionDImpl : torch::nn::Module {
  explicit InceptionDImpl(int64_t in)
      : branch3x3_1(register_module("branch3x3_1", ConvBn(in, 192, 1))),
        branch3x3_2(register_module("branch3x3_2", ConvBn(192, 320, 3, 2))),
        branch7x7x3_1(register_module("branch7x7x3_1", ConvBn(in, 192, 1))),
        branch7x7x3_2(register_module("branch7x7x3_2", ConvBn(192, 192, K({1, 7}), 1, K({0, 3})))),
        branch7x7x3_3(register_module("branch7x7x3_3", ConvBn(192, 192, K({7, 1}), 1, K({3, 0})))),
        branch7x7x3_4(register_module("branch7x7x3_4", ConvBn(192, 192, 3, 2))) {}
  torch::Tensor forward(const torch::Tensor &x) {
    return torch::cat(
        {branch3x3_2(branch3x3_1(x)), branch7x7x3_4(branch7x7x3_3(branch7x7x3_2(branch7x7x3_1(x)))), maxPool3s2(x)}, 1);
  }
  ConvBn branch3x3_1, branch3x3_2, branch7x7x3_1, branch7x7x3_2, branch7x7x3_3, branch7x7x3_4;
};
TORCH_MODULE(InceptionD);

struct InceptionEImpl : torch::nn::Module {
  explicit InceptionEImpl(int64_t in)
      : branch1x1(register_module("branch1x1", ConvBn(in, 320, 1))),
        branch3x3_1(register_module("branch3x3_1", ConvBn(in, 384, 1))),
        branch3x3_2a(register_module("branch3x3_2a", ConvBn(384, 384, K({1, 3}), 1, K({0, 1})))),
        branch3x3_2b(register_module("branch3x3_2b", ConvBn(384, 384, K({3, 1}), 1, K({1, 0})))),
        branch3x3dbl_1(register_module("branch3x3dbl_1", ConvBn(in, 448, 1))),
        branch3x3dbl_2(register_module("branch3x3dbl_2", ConvBn(448, 384, 3, 1, 1))),
        branch3x3dbl_3a(register_module("branch3x3dbl_3a", ConvBn(384, 384, K({1, 3}), 1, K({0, 1})))),
        branch3x3dbl_3b(register_module("branch3x3dbl_3b", ConvBn(384, 384, K({3, 1}), 1, K({1, 0})))),
        branch_pool(register_module("branch_pool", ConvBn(in, 192, 1))) {}
  torch::Tensor forward(const torch::Tensor &x) {
    const torch::Tensor b3 = branch3x3_1(x);
    const torch::Tensor bd = branch3x3dbl_2(branch3x3dbl_1(x));
    return torch::cat({branch1x1(x), branch3x3_2a(b3), branch3x3_2b(b3), branch3x3dbl_3a(bd), branch3x3dbl_3b(bd),
                       branch_pool(avgPool3(x))},
                      1);
  }
  ConvBn branch1x1, branch3x3_1, branch3x3_2a, branch3x3_2b, branch3x3dbl_1, branch3x3dbl_2, branch3x3dbl_3a,
      branch3x3dbl_3b, branch_pool;
};
TORCH_MODULE(InceptionE);

struct InceptionAuxImpl : torch::nn::Module {
  InceptionAuxImpl(int64_t in, int64_t classes)
      : conv0(register_module("conv0", ConvBn(in, 128, 1))),
        conv1(register_module("conv1", ConvBn(128, 768, 5))),
        fc(register_module("fc", torch::nn::Linear(768, classes))) {}
  torch::Tensor forward(torch::Tensor x) {
    x = conv1(conv0(F::avg_pool2d(x, F::AvgPool2dFuncOptions(5).stride(3))));
    return fc(F::adaptive_avg_pool2d(x, F::AdaptiveAvgPool2dFuncOptions(1)).flatten(1));
  }
  ConvBn conv0, conv1;
  torch::nn::Linear fc;
};
TORCH_MODULE(InceptionAux);

}  // namespace

InceptionV3Impl::InceptionV3Impl(int64_t classes, bool aux, int64_t inChannels) {
  // Stem and mixed blocks are registered directly on this module so that names match torchvision
  // ("Conv2d_1a_3x3.conv.weight", "Mixed_5b.branch1x1.bn.running_mean").
  auto add = [this](const std::string &name, auto module) {
    register_module(name, module.ptr());
    return torch::nn::AnyModule(module);
  };
  std::vector<torch::nn::AnyModule> blocks;
  blocks.push_back(add("Conv2d_1a_3x3", ConvBn(inChannels, 32, 3, 2)));
  blocks.push_back(add("Conv2d_2a_3x3", ConvBn(32, 32, 3)));
  blocks.push_back(add("Conv2d_2b_3x3", ConvBn(32, 64, 3, 1, 1)));
  blocks.push_back(torch::nn::AnyModule(torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(3).stride(2))));
  blocks.push_back(add("Conv2d_3b_1x1", ConvBn(64, 80, 1)));
  blocks.push_back(add("Conv2d_4a_3x3", ConvBn(80, 192, 3)));
  blocks.push_back(torch::nn::AnyModule(torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(3).stride(2))));
  blocks.push_back(add("Mixed_5b", InceptionA(192, 32)));
  blocks.push_back(add("Mixed_5c", InceptionA(256, 64)));
  blocks.push_back(add("Mixed_5d", InceptionA(288, 64)));
  blocks.push_back(add("Mixed_6a", InceptionB(288)));
  blocks.push_back(add("Mixed_6b", InceptionC(768, 128)));
  blocks.push_back(add("Mixed_6c", InceptionC(768, 160)));
  blocks.push_back(add("Mixed_6d", InceptionC(768, 160)));
  blocks.push_back(add("Mixed_6e", InceptionC(768, 192)));
  if (aux) register_module("AuxLogits", InceptionAux(768, classes > 0 ? classes : 1000).ptr());
  blocks.push_back(add("Mixed_7a", InceptionD(768)));
  blocks.push_back(add("Mixed_7b", InceptionE(1280)));
  blocks.push_back(add("Mixed_7c", InceptionE(2048)));
  // Unregistered holder: the modules above are already children of this module.
  stem = torch::nn::Sequential();
  for (auto &b : blocks) stem->push_back(b);
  if (classes > 0) fc = register_module("fc", torch::nn::Linear(2048, classes));
}

torch::Tensor InceptionV3Impl::forward(torch::Tensor x) {
  x = stem->forward(x);
  x = F::adaptive_avg_pool2d(x, F::AdaptiveAvgPool2dFuncOptions(1)).flatten(1);
  return fc ? fc(x) : x;
}

// ---------------------------------------------------------------------------------- light CNN

LightCnnImpl::LightCnnImpl(int64_t inChannels) {
  features = torch::nn::Sequential();
  int64_t in = inChannels;
  for (int64_t out : {32, 64, 128, 256}) {
    features->push_back(ConvBn(in, out, 3, 2, 1));
    in = out;
  }
  register_module("features", features);
}

torch::Tensor LightCnnImpl::forward(torch::Tensor x) {
  return F::adaptive_avg_pool2d(features->forward(x), F::AdaptiveAvgPool2dFuncOptions(1)).flatten(1);
}

// ---------------------------------------------------------------------------------- encoder

ImageEncoderImpl::ImageEncoderImpl(Backbone backbone, int64_t embeddingSize, int64_t inChannels)
    : backbone_(backbone), inChannels_(inChannels), input_(defaultInputConvention(backbone)) {
  if (inChannels < 1)
    throw std::invalid_argument("an image encoder needs at least one input channel, got " + std::to_string(inChannels));
  // ImageNet's statistics for the first three channels (R, G, B); their averages for any further
  // band of a multispectral input, which has no ImageNet statistics of its own. Plain members, not
  // buffers: they follow from the channel count and are not saved in model files.
  std::vector<float> mean{0.485f, 0.456f, 0.406f}, stdev{0.229f, 0.224f, 0.225f};
  mean.resize(static_cast<std::size_t>(inChannels), 0.449f);
  stdev.resize(static_cast<std::size_t>(inChannels), 0.226f);
  inputMean_ = torch::tensor(mean).view({1, inChannels, 1, 1});
  inputStd_ = torch::tensor(stdev).view({1, inChannels, 1, 1});
  switch (backbone) {
    case Backbone::ResNet18: {
      ResNet18 m(0, inChannels);
      netModule = register_module("backbone", m.ptr());
      net = torch::nn::AnyModule(m);
      featureSize_ = 512;
      break;
    }
    case Backbone::InceptionV3: {
      InceptionV3 m(0, false, inChannels);
      netModule = register_module("backbone", m.ptr());
      net = torch::nn::AnyModule(m);
      featureSize_ = 2048;
      break;
    }
    case Backbone::Light: {
      LightCnn m(inChannels);
      netModule = register_module("backbone", m.ptr());
      net = torch::nn::AnyModule(m);
      featureSize_ = 256;
      break;
    }
  }
  projection = register_module("projection", torch::nn::Linear(featureSize_, embeddingSize));
}

InputConvention defaultInputConvention(Backbone backbone) {
  return backbone == Backbone::InceptionV3 ? InputConvention::MinusOneToOne : InputConvention::ImageNet;
}

std::string inputConventionName(InputConvention c) {
  return c == InputConvention::MinusOneToOne ? "minus1to1" : "imagenet";
}

InputConvention inputConventionFromName(const std::string &name) {
  if (name == "imagenet") return InputConvention::ImageNet;
  if (name == "minus1to1") return InputConvention::MinusOneToOne;
  throw std::runtime_error("unknown image input convention '" + name + "' (imagenet, minus1to1)");
}

torch::Tensor ImageEncoderImpl::forward(torch::Tensor images) {
  // The inputs the backbone's pretrained weights were trained on (see InputConvention).
  if (input_ == InputConvention::MinusOneToOne) return projection(net.forward(images * 2.0 - 1.0));
  images = (images - inputMean_.to(images.device())) / inputStd_.to(images.device());
  return projection(net.forward(images));
}

torch::Tensor adaptFirstConvWeight(const torch::Tensor &rgb, int64_t channels) {
  if (rgb.dim() != 4 || rgb.size(1) != 3)
    throw std::invalid_argument("adaptFirstConvWeight expects an RGB convolution weight [out, 3, kh, kw]");
  std::vector<torch::Tensor> planes;
  const torch::Tensor grey = rgb.mean(1, true);
  for (int64_t c = 0; c < channels; ++c) planes.push_back(channels >= 3 && c < 3 ? rgb.narrow(1, c, 1) : grey);
  return torch::cat(planes, 1) * (3.0 / static_cast<double>(channels));
}

int ImageEncoderImpl::loadPretrainedBackbone(const std::string &path) {
  torch::jit::script::Module scripted;
  try {
    scripted = torch::jit::load(path, torch::kCPU);
  } catch (const c10::Error &e) {
    throw std::runtime_error("cannot read pretrained backbone '" + path +
                             "' as TorchScript: " + e.what_without_backtrace());
  }
  std::unordered_map<std::string, torch::Tensor> source;
  for (const auto &p : scripted.named_parameters(true)) source.emplace(p.name, p.value);
  for (const auto &b : scripted.named_buffers(true)) source.emplace(b.name, b.value);
  int copied = 0;
  torch::NoGradGuard noGrad;
  auto copyMatching = [&](const std::string &name, torch::Tensor &target) {
    const auto it = source.find(name);
    if (it == source.end()) return;
    // The first convolution of an N-band encoder against RGB weights: see adaptFirstConvWeight.
    if (inChannels_ != 3 && it->second.dim() == 4 && target.dim() == 4 && it->second.size(1) == 3 &&
        target.size(1) == inChannels_ && it->second.size(0) == target.size(0) && it->second.size(2) == target.size(2) &&
        it->second.size(3) == target.size(3)) {
      target.copy_(
          adaptFirstConvWeight(it->second.to(torch::kFloat32), inChannels_).to(target.device(), target.scalar_type()));
      ++copied;
      return;
    }
    if (it->second.sizes() != target.sizes())
      throw std::runtime_error("pretrained backbone '" + path + "': tensor " + name + " has shape " +
                               c10::str(it->second.sizes()) + ", the " + backboneName(backbone_) +
                               " backbone expects " + c10::str(target.sizes()));
    target.copy_(it->second.to(target.device(), target.scalar_type()));
    ++copied;
  };
  for (auto &p : netModule->named_parameters(true)) copyMatching(p.key(), p.value());
  for (auto &b : netModule->named_buffers(true)) copyMatching(b.key(), b.value());
  if (copied == 0)
    throw std::runtime_error("pretrained backbone '" + path + "' has no tensor whose name matches the " +
                             backboneName(backbone_) +
                             " backbone (expected torchvision names such as layer1.0.conv1.weight)");
  return copied;
}

}  // namespace musecl::nn
