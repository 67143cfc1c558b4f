// The networks of the learning core on tiny inputs: losses against hand-computed values, the
// attention fusion and InfoNCE on toy data, encoders against torchvision's parameter counts.
// Tolerances: float32 arithmetic, 1e-5 relative unless stated.
#include "musecl/learn/nn/encoders.h"
#include "musecl/learn/nn/fusion.h"
#include "learning_test_support.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

using namespace musecl;
using namespace musecl::test_support;

TEST(Losses, TripletLossMatchesHandComputedValues) {
  const auto a = torch::tensor({{0.0f, 0.0f}});
  const auto p = torch::tensor({{3.0f, 4.0f}});                                // d(a,p) = 5
  const auto n = torch::tensor({{6.0f, 8.0f}});                                // d(a,n) = 10
  EXPECT_NEAR(nn::tripletLoss(a, p, n, true, 5.0).item<double>(), 0.0, 1e-6);  // max(0, 5 - 10 + 5)
  EXPECT_NEAR(nn::tripletLoss(a, p, n, true, 6.5).item<double>(), 1.5, 1e-5);
  EXPECT_NEAR(nn::tripletLoss(a, n, p, true, 5.0).item<double>(), 10.0, 1e-5);  // swapped: 10 - 5 + 5
  const auto x = torch::tensor({{1.0f, 0.0f}}), y = torch::tensor({{0.0f, 2.0f}});
  EXPECT_NEAR(nn::tripletLoss(x, x, y, false, 0.5).item<double>(), 0.0, 1e-6);  // 0.5 - 1 + 0
  EXPECT_NEAR(nn::tripletLoss(x, y, x, false, 0.5).item<double>(), 1.5, 1e-5);  // 0.5 - 0 + 1
}

TEST(Losses, InfoNceMatchesHandComputedValues) {
  // Two orthogonal matching pairs, temperature 0.1: logits 10 on the diagonal, 0 elsewhere,
  // loss = log(1 + e^-10) = 4.5398899e-5.
  const auto e = torch::tensor({{1.0f, 0.0f}, {0.0f, 3.0f}});
  EXPECT_NEAR(nn::infoNce(e, e, 0.1).item<double>(), 4.5398899e-5, 2e-6);  // float32 log-sum-exp at 10: ~1e-6
  // Swapped partners: loss = log(1 + e^10) = 10.0000454.
  EXPECT_NEAR(nn::infoNce(e, e.flip({0}), 0.1).item<double>(), 10.0000454, 1e-5);
}

TEST(Fusion, SoftmaxOverAvailableModalitiesOnly) {
  nn::Fusion fusion(std::vector<int64_t>{4, 0, 3}, 4, 8);
  const auto e = torch::randn({3, 2, 4});
  const auto projected = fusion->project({torch::randn({5, 4}), torch::Tensor(), torch::randn({5, 3})});
  EXPECT_EQ(projected.sizes(), (std::vector<int64_t>{5, 3, 4}))
      << "one slot per view, the model's missing view included";
  EXPECT_EQ(projected.select(1, 1).abs().sum().item<double>(), 0.0) << "a view the model lacks projects to zeros";
  const auto mask = torch::tensor({1, 1, 1, 0, 0, 0}, torch::kBool).view({3, 2});
  const auto [fused, beta] = fusion->fuse(e, mask);
  EXPECT_NEAR(beta[0].sum().item<double>(), 1.0, 1e-6);
  EXPECT_NEAR(beta[1][0].item<double>(), 1.0, 1e-6) << "the only modality gets all the weight";
  EXPECT_TRUE(torch::allclose(fused[1], e[1][0]));
  EXPECT_EQ(beta[2].abs().sum().item<double>(), 0.0) << "no modality: zero weights, not NaN";
  EXPECT_FALSE(torch::isnan(fused).any().item<bool>());
}

TEST(Fusion, InfoNceTrainingRaisesTheAlignmentOfMatchingPairs) {
  torch::manual_seed(0);
  const auto image = torch::randn({32, 16});
  const auto poi = image.mm(torch::randn({16, 6})) + 0.05 * torch::randn({32, 6});  // POI side: a linear view
  nn::Fusion fusion(std::vector<int64_t>{16, 6}, 6, 8);
  auto imageProjection = [&](const torch::Tensor &x) { return fusion->projections[0]->forward(x); };
  auto poiProjection = [&](const torch::Tensor &x) { return fusion->projections[1]->forward(x); };
  auto accuracy = [&] {
    torch::NoGradGuard g;
    const auto logits =
        torch::nn::functional::normalize(imageProjection(image), torch::nn::functional::NormalizeFuncOptions().dim(1))
            .mm(torch::nn::functional::normalize(poiProjection(poi),
                                                 torch::nn::functional::NormalizeFuncOptions().dim(1))
                    .t());
    return logits.argmax(1).eq(torch::arange(32)).to(torch::kFloat).mean().item<double>();
  };
  const double before = accuracy();
  torch::optim::Adam opt(fusion->parameters(), torch::optim::AdamOptions(1e-2));
  for (int i = 0; i < 200; ++i) {
    const auto loss = nn::infoNce(imageProjection(image), poiProjection(poi), 0.1);
    opt.zero_grad();
    loss.backward();
    opt.step();
  }
  EXPECT_LT(before, 0.3);
  EXPECT_GT(accuracy(), 0.9) << "matching pairs found among 32 after training (was " << before << ")";
}

TEST(Encoders, ParameterCountsEqualTorchvision) {
  EXPECT_EQ(nn::parameterCount(*nn::ResNet18(1000)), 11689512);
  EXPECT_EQ(nn::parameterCount(*nn::InceptionV3(1000, false)), 23834568);
  EXPECT_EQ(nn::parameterCount(*nn::InceptionV3(1000, true)), 27161264);
  EXPECT_EQ(nn::parameterCount(*nn::LightCnn()), 388896);
}

TEST(Encoders, OutputShapesAndTorchvisionParameterNames) {
  torch::NoGradGuard g;
  nn::ResNet18 resnet(1000);
  resnet->eval();
  EXPECT_EQ(resnet->forward(torch::rand({2, 3, 256, 256})).sizes(), (std::vector<int64_t>{2, 1000}));
  nn::InceptionV3 inception(1000, true);
  inception->eval();
  EXPECT_EQ(inception->forward(torch::rand({1, 3, 299, 299})).sizes(), (std::vector<int64_t>{1, 1000}));
  const auto names = inception->named_parameters().keys();
  EXPECT_NE(std::find(names.begin(), names.end(), "Mixed_5b.branch1x1.conv.weight"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "AuxLogits.fc.bias"), names.end());
  const auto resnetNames = resnet->named_parameters().keys();
  EXPECT_NE(std::find(resnetNames.begin(), resnetNames.end(), "layer2.0.downsample.0.weight"), resnetNames.end());
  nn::ImageEncoder encoder(nn::Backbone::ResNet18, 128);
  encoder->eval();
  EXPECT_EQ(encoder->forward(torch::rand({3, 3, 256, 256})).sizes(), (std::vector<int64_t>{3, 128}));
  EXPECT_THROW(nn::backboneFromName("vgg16"), std::invalid_argument);
}

TEST(Encoders, EachBackboneSeesTheInputRangeItsTorchvisionWeightsExpect) {
  torch::NoGradGuard g;
  EXPECT_EQ(nn::ImageEncoder(nn::Backbone::InceptionV3, 8)->inputConvention(), nn::InputConvention::MinusOneToOne);
  EXPECT_EQ(nn::ImageEncoder(nn::Backbone::ResNet18, 8)->inputConvention(), nn::InputConvention::ImageNet);
  EXPECT_EQ(nn::ImageEncoder(nn::Backbone::Light, 8)->inputConvention(), nn::InputConvention::ImageNet);
  EXPECT_EQ(nn::inputConventionFromName(nn::inputConventionName(nn::InputConvention::MinusOneToOne)),
            nn::InputConvention::MinusOneToOne);
  EXPECT_THROW(nn::inputConventionFromName("bgr"), std::runtime_error);
  // The conventions differ where it matters: mid-grey is 0 in [-1, 1] but about 0.1 after
  // ImageNet standardisation, so the same weights see different inputs and give different outputs.
  nn::ImageEncoder encoder(nn::Backbone::Light, 8);
  encoder->eval();
  const torch::Tensor grey = torch::full({1, 3, 32, 32}, 0.5);
  const torch::Tensor imagenet = encoder->forward(grey);
  encoder->setInputConvention(nn::InputConvention::MinusOneToOne);
  const torch::Tensor image = torch::rand({2, 3, 32, 32});
  const torch::Tensor minusOneToOne = encoder->forward(image);
  EXPECT_FALSE(torch::allclose(imagenet, encoder->forward(grey)));
  // Exactly 2x - 1: the ImageNet path fed the input that standardises to 2x - 1 gives the same output.
  encoder->setInputConvention(nn::InputConvention::ImageNet);
  const torch::Tensor mean = torch::tensor({0.485f, 0.456f, 0.406f}).view({1, 3, 1, 1}),
                      stdev = torch::tensor({0.229f, 0.224f, 0.225f}).view({1, 3, 1, 1});
  EXPECT_TRUE(torch::allclose(encoder->forward((image * 2 - 1) * stdev + mean), minusOneToOne, 1e-4, 1e-5));
}

TEST(Encoders, MultispectralEncodersAndTheRgbWeightRule) {
  torch::NoGradGuard g;
  for (const nn::Backbone b : {nn::Backbone::Light, nn::Backbone::ResNet18}) {
    nn::ImageEncoder six(b, 8, 6);
    six->eval();
    EXPECT_EQ(six->inChannels(), 6);
    EXPECT_EQ(six->forward(torch::rand({2, 6, 64, 64})).sizes(), (std::vector<int64_t>{2, 8}));
  }
  EXPECT_THROW(nn::ImageEncoder(nn::Backbone::Light, 8, 0), std::invalid_argument);
  // RGB filters into 6 channels: R, G, B kept, the extra three the mean of R, G, B, all x 3/6, so a
  // uniform input excites every filter exactly as it did with 3 channels.
  const torch::Tensor rgb = torch::randn({4, 3, 7, 7});
  const torch::Tensor w6 = nn::adaptFirstConvWeight(rgb, 6);
  ASSERT_EQ(w6.sizes(), (std::vector<int64_t>{4, 6, 7, 7}));
  EXPECT_TRUE(torch::allclose(w6.narrow(1, 0, 3), rgb * 0.5));
  for (int c = 3; c < 6; ++c) EXPECT_TRUE(torch::allclose(w6.narrow(1, c, 1), rgb.mean(1, true) * 0.5));
  EXPECT_TRUE(torch::allclose(w6.sum(1), rgb.sum(1), 1e-5, 1e-5));
  // One band (grey): the mean filter x 3.
  EXPECT_TRUE(torch::allclose(nn::adaptFirstConvWeight(rgb, 1), rgb.mean(1, true) * 3.0));
  EXPECT_TRUE(torch::allclose(nn::adaptFirstConvWeight(rgb, 1).sum(1), rgb.sum(1), 1e-5, 1e-5));
}

TEST(Encoders, PretrainedBackboneFileErrorsAreClear) {
  nn::ImageEncoder encoder(nn::Backbone::Light, 8);
  const std::string path = tempPath("not_torchscript.pt");
  std::ofstream(path) << "garbage";
  try {
    encoder->loadPretrainedBackbone(path);
    FAIL() << "expected an error";
  } catch (const std::runtime_error &e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
  std::remove(path.c_str());
}
