// The learning core on tiny inputs: losses against hand-computed values, architectures against
// torchvision's parameter counts, skip-gram and InfoNCE on toy data, and whole training runs
// (loss decrease, determinism, save/load, cancellation, errors, modality fallbacks).
// Tolerances: float32 arithmetic, 1e-5 relative unless stated.
#include "musecl/clustering.h"
#include "musecl/encoder_passes.h"
#include "musecl/nn/encoders.h"
#include "musecl/nn/fusion.h"
#include "musecl/similarity.h"
#include "musecl/skipgram.h"
#include "musecl/training.h"
#include "learning_test_support.h"
#include "toy_city.h"

#include <gtest/gtest.h>
#include <chrono>
#include <thread>
#include <atomic>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>

using namespace musecl;
using namespace musecl::test_support;

namespace {

double firstEpochLoss(const TrainingResult &r, const std::string &stage) {
  for (const auto &e : r.log)
    if (e.stage == stage) return e.loss;
  return NAN;
}
double lastEpochLoss(const TrainingResult &r, const std::string &stage) {
  double v = NAN;
  for (const auto &e : r.log)
    if (e.stage == stage) v = e.loss;
  return v;
}
}  // namespace

TEST(Losses, TripletLossMatchesHandComputedValues) {
  const auto a = torch::tensor({{0.0f, 0.0f}});
  const auto p = torch::tensor({{3.0f, 4.0f}});   // d(a,p) = 5
  const auto n = torch::tensor({{6.0f, 8.0f}});   // d(a,n) = 10
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
  EXPECT_EQ(projected.sizes(), (std::vector<int64_t>{5, 3, 4})) << "one slot per view, the model's missing view included";
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
    const auto logits = torch::nn::functional::normalize(imageProjection(image), torch::nn::functional::NormalizeFuncOptions().dim(1))
                            .mm(torch::nn::functional::normalize(poiProjection(poi), torch::nn::functional::NormalizeFuncOptions().dim(1)).t());
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
  EXPECT_EQ(nn::inputConventionFromName(nn::inputConventionName(nn::InputConvention::MinusOneToOne)), nn::InputConvention::MinusOneToOne);
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
  const torch::Tensor mean = torch::tensor({0.485f, 0.456f, 0.406f}).view({1, 3, 1, 1}), stdev = torch::tensor({0.229f, 0.224f, 0.225f}).view({1, 3, 1, 1});
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

TEST(TripletSampler, PositiveIsAlwaysMoreSimilarThanNegative) {
  std::mt19937_64 rng(5);
  std::normal_distribution<float> g;
  std::vector<std::vector<float>> features(60, std::vector<float>(4));
  for (auto &f : features)
    for (float &x : f) x = g(rng);
  std::vector<std::uint32_t> candidates;
  for (std::uint32_t i = 0; i < 60; i += 2) candidates.push_back(i);  // only even regions have images
  const TripletSampler sampler(features, candidates);
  for (int epoch = 0; epoch < 20; ++epoch)
    for (const Triplet &t : sampler.epoch(rng)) {
      ASSERT_LT(sampler.distance(t.anchor, t.positive), sampler.distance(t.anchor, t.negative));
      ASSERT_EQ(t.anchor % 2, 0u);
      ASSERT_EQ(t.positive % 2, 0u);
      ASSERT_EQ(t.negative % 2, 0u);
      ASSERT_NE(t.anchor, t.positive);
    }
  EXPECT_THROW(TripletSampler(features, {0, 1}), std::invalid_argument);
}

TEST(Similarity, PaperFormsAndScaling) {
  // Mobility distance (eq. 1): sqrt((100-40)^2 + (10-90)^2) = 100, similarity 1/100.
  const auto raw = mobilityFeatures({100, 40}, {10, 90}, SimilarityScale::Raw);
  EXPECT_NEAR(euclideanDistance(raw[0], raw[1]), 100.0, 1e-9);
  EXPECT_NEAR(similarityFromDistance(100.0), 0.01, 1e-12);
  EXPECT_TRUE(std::isinf(similarityFromDistance(0.0))) << "identical regions are the most similar";
  const auto logged = poiDistributionFeatures({{0, 9}}, SimilarityScale::Log1p);
  EXPECT_NEAR(logged[0][1], std::log(10.0), 1e-6);
}

TEST(SkipGram, CoOccurringWordsEndUpCloserThanWordsThatNeverMeet) {
  std::vector<std::vector<std::string>> sentences;
  for (int i = 0; i < 200; ++i) {
    sentences.push_back({"coffee", "espresso", "cafe", "latte", "pastry"});
    sentences.push_back({"bank", "atm", "finance", "office", "money"});
  }
  SkipGram model;
  SkipGramOptions o;
  o.dimension = 16;
  o.epochs = 5;
  model.train(sentences, o);
  EXPECT_EQ(model.vocabularySize(), 10u);
  EXPECT_GT(model.cosine("coffee", "espresso"), model.cosine("coffee", "bank") + 0.3);
  EXPECT_GT(model.cosine("atm", "money"), model.cosine("atm", "latte") + 0.3);
  std::vector<float> mean;
  EXPECT_TRUE(model.meanVector({"coffee", "unknownword"}, mean));
  EXPECT_FALSE(model.meanVector({"unknownword"}, mean));
  SkipGram again;
  again.train(sentences, o);
  EXPECT_EQ(again.vectors(), model.vectors()) << "same seed, same vectors";
}

TEST(EncoderPasses, HandExampleSplitsWhereTheNextTripletWouldOverflow) {
  // Triplets over 7 images; at most 4 per pass: (0,1,2) and (0,1,3) share 0 and 1 and fit in 4;
  // (4,5,6) would make 7, so it starts the second pass.
  const auto passes = planEncoderPasses({0, 0, 4}, {1, 1, 5}, {2, 3, 6}, 7, 4);
  ASSERT_EQ(passes.size(), 2u);
  EXPECT_EQ(passes[0].images, (std::vector<std::int64_t>{0, 1, 2, 3}));
  EXPECT_EQ(passes[0].anchor, (std::vector<std::int64_t>{0, 0}));
  EXPECT_EQ(passes[0].negative, (std::vector<std::int64_t>{2, 3}));
  EXPECT_EQ(passes[1].images, (std::vector<std::int64_t>{4, 5, 6}));
  EXPECT_EQ(passes[1].anchor, (std::vector<std::int64_t>{0}));
}

TEST(EncoderPasses, WholeBatchWhenUncappedOrSmallEnough) {
  for (int cap : {0, -1, 7, 100}) {
    const auto passes = planEncoderPasses({0, 0, 4}, {1, 1, 5}, {2, 3, 6}, 7, cap);
    ASSERT_EQ(passes.size(), 1u) << cap;
    EXPECT_EQ(passes[0].images, (std::vector<std::int64_t>{0, 1, 2, 3, 4, 5, 6}));
    EXPECT_EQ(passes[0].anchor, (std::vector<std::int64_t>{0, 0, 4}));
  }
  EXPECT_THROW(planEncoderPasses({0}, {1, 2}, {3}, 4, 3), std::invalid_argument);
}

TEST(EncoderPasses, TripletsThatShareImagesArePassedTogether) {
  // In batch order, (0,1,2) | (3,4,5) | (0,1,6) would take 3 passes and 9 encodings at a cap of 4;
  // grouping (0,1,6) with (0,1,2) takes 2 passes and 7.
  const auto passes = planEncoderPasses({0, 3, 0}, {1, 4, 1}, {2, 5, 6}, 7, 4);
  ASSERT_EQ(passes.size(), 2u);
  EXPECT_EQ(passes[0].images, (std::vector<std::int64_t>{0, 1, 2, 6}));
  EXPECT_EQ(passes[0].triplets, (std::vector<std::size_t>{0, 2}));
  EXPECT_EQ(passes[1].images, (std::vector<std::int64_t>{3, 4, 5}));
}

TEST(EncoderPasses, EveryTripletKeepsItsImagesAndNoPassExceedsTheCap) {
  // Batches like the trainer's: 32 triplets drawn over 80 images, so regions repeat.
  std::mt19937 rng(3);
  std::uniform_int_distribution<std::int64_t> pick(0, 79);
  std::vector<std::int64_t> a, p, n;
  for (int i = 0; i < 32; ++i) {
    a.push_back(pick(rng));
    p.push_back(pick(rng));
    n.push_back(pick(rng));
  }
  for (int cap : {3, 5, 16, 32, 79}) {
    const auto passes = planEncoderPasses(a, p, n, 80, cap);
    std::vector<int> seen(a.size(), 0);
    std::size_t encodings = 0;
    for (const auto &pass : passes) {
      EXPECT_LE(pass.images.size(), static_cast<std::size_t>(cap));
      EXPECT_EQ(std::set<std::int64_t>(pass.images.begin(), pass.images.end()).size(), pass.images.size()) << "each image once per pass";
      ASSERT_EQ(pass.triplets.size(), pass.anchor.size());
      for (std::size_t k = 0; k < pass.anchor.size(); ++k) {
        const std::size_t t = pass.triplets[k];
        ++seen[t];
        EXPECT_EQ(pass.images[pass.anchor[k]], a[t]);
        EXPECT_EQ(pass.images[pass.positive[k]], p[t]);
        EXPECT_EQ(pass.images[pass.negative[k]], n[t]);
      }
      encodings += pass.images.size();
    }
    EXPECT_EQ(seen, std::vector<int>(a.size(), 1)) << "every triplet in exactly one pass, cap " << cap;
    const std::set<std::int64_t> distinct(a.begin(), a.end());
    std::set<std::int64_t> all = distinct;
    all.insert(p.begin(), p.end());
    all.insert(n.begin(), n.end());
    EXPECT_GE(encodings, all.size()) << "every image of the batch encoded at least once";
  }
}

TEST(Training, CappedEncoderPassesTrainReproduciblyAndSaySo) {
  // Batches of 8 triplets over 20 regions hold up to 24 images; a cap of 5 splits each into
  // several passes whose gradients are accumulated.
  const RegionTable city = toyCity(20, true, false, true, false);
  TrainingOptions o = tinyOptions();
  o.imagesPerPass = 5;
  const std::string a = tempPath("passes_a.musecl"), b = tempPath("passes_b.musecl");
  const TrainingResult first = trainMuseCL(city, o, toyLoader, {}, {}, a);
  EXPECT_LT(lastEpochLoss(first, "remote sensing"), firstEpochLoss(first, "remote sensing"));
  EXPECT_TRUE(mentions(first, "at most 5 images per encoder pass"));
  const TrainingResult second = trainMuseCL(city, o, toyLoader, {}, {}, b);
  EXPECT_EQ(first.embeddings.values, second.embeddings.values) << "bitwise identical";
  o.imagesPerPass = 0;
  const TrainingResult whole = trainMuseCL(city, o, toyLoader, {}, {}, b);
  EXPECT_TRUE(mentions(whole, "each batch encoded in one pass"));
  o.imagesPerPass = 2;
  EXPECT_THROW(trainMuseCL(city, o, toyLoader, {}, {}, b), std::invalid_argument);
  std::remove(a.c_str());
  std::remove(b.c_str());
}

TEST(Training, TinyRunLowersTheLossesAndWritesAModelThatReproducesTheEmbeddings) {
  const RegionTable city = toyCity(20);
  const std::string model = tempPath("tiny.musecl");
  std::vector<TrainingProgress> seen;
  const TrainingResult r = trainMuseCL(city, tinyOptions(), toyLoader, [&](const TrainingProgress &p) { seen.push_back(p); return true; }, {}, model);
  EXPECT_LT(lastEpochLoss(r, "remote sensing"), firstEpochLoss(r, "remote sensing"));
  EXPECT_LT(lastEpochLoss(r, "street view"), firstEpochLoss(r, "street view"));
  EXPECT_LT(lastEpochLoss(r, "fusion"), 0.8 * firstEpochLoss(r, "fusion"));
  EXPECT_LT(lastEpochLoss(r, "mobility"), 0.5 * firstEpochLoss(r, "mobility"));
  EXPECT_EQ(r.embeddings.dimension, 16);
  EXPECT_EQ(r.embeddings.ids.size(), 20u);
  for (float v : r.embeddings.values) ASSERT_TRUE(std::isfinite(v));
  for (std::size_t i = 0; i < 20; ++i) {
    double sum = 0;
    for (int v = 0; v < 4; ++v) sum += r.embeddings.viewWeight[static_cast<std::size_t>(v)][i];  // every region has all four views: no NaN
    EXPECT_NEAR(sum, 1.0, 1e-5) << "region " << i;
    EXPECT_TRUE(std::isnan(r.embeddings.viewWeight[static_cast<int>(View::EmbeddingRaster)][i])) << "no embedding raster given";
    EXPECT_EQ(r.embeddings.viewsOf(i), "rs+sv+poi+mob");
  }
  EXPECT_TRUE(mentions(r, "remote sensing: positives and negatives by POI-distribution and mobility (inflow/outflow) similarity"));
  EXPECT_TRUE(mentions(r, "street view: positives and negatives by mobility (inflow/outflow) similarity"));
  EXPECT_TRUE(mentions(r, "each view aligned by InfoNCE to the fusion of the region's other views"));
  ASSERT_FALSE(seen.empty());
  EXPECT_GE(seen.back().fraction, 0.99);

  const ModelInfo info = readModelInfo(model);
  EXPECT_TRUE(info.remoteSensing && info.streetView && info.poiText && info.mobility);
  EXPECT_EQ(info.mobilityKind, "graph");
  EXPECT_EQ(info.chipSize, 32);
  EXPECT_EQ(info.remoteSensingBackbone, "light");
  EXPECT_EQ(info.seed, 7u);
  EXPECT_EQ(info.vocabularySize, 23u);  // 5 park words + 6 for each other kind
  const TrainingResult applied = embedWithModel(model, city, toyLoader, DeviceChoice::Cpu, 2, {}, {});
  ASSERT_EQ(applied.embeddings.values.size(), r.embeddings.values.size());
  for (std::size_t i = 0; i < r.embeddings.values.size(); ++i) ASSERT_NEAR(applied.embeddings.values[i], r.embeddings.values[i], 1e-5);
  std::remove(model.c_str());
}

TEST(Training, SameSeedSameDeviceGivesIdenticalEmbeddings) {
  const RegionTable city = toyCity(12);
  TrainingOptions o = tinyOptions();
  o.imageEpochs = 2;
  o.fusionEpochs = 5;
  const std::string a = tempPath("seed_a.musecl"), b = tempPath("seed_b.musecl");
  const TrainingResult first = trainMuseCL(city, o, toyLoader, {}, {}, a);
  const TrainingResult second = trainMuseCL(city, o, toyLoader, {}, {}, b);
  EXPECT_EQ(first.embeddings.values, second.embeddings.values) << "bitwise identical";
  o.seed = 8;
  const TrainingResult other = trainMuseCL(city, o, toyLoader, {}, {}, b);
  EXPECT_NE(first.embeddings.values, other.embeddings.values);
  std::remove(a.c_str());
  std::remove(b.c_str());
}

TEST(Training, AugmentationIsSeededAndEachLevelChangesWhatTheEncoderSees) {
  // Chips only, so the embedding is the remote-sensing encoder's. The full augmentation (mirroring,
  // resized crops, jitter on top of the rotations) is drawn from the batch seeds: two runs are
  // bitwise identical; each level trains a different encoder.
  const RegionTable city = toyCity(12, true, false, false, false);
  TrainingOptions o = tinyOptions();
  o.imageEpochs = 2;
  o.fusionEpochs = 0;
  const std::string path = tempPath("augment.musecl");
  std::vector<float> byLevel[3];
  for (const Augmentation level : {Augmentation::None, Augmentation::Basic, Augmentation::Full}) {
    o.augmentation = level;
    const TrainingResult r = trainMuseCL(city, o, toyLoader, {}, {}, path);
    byLevel[static_cast<int>(level)] = r.embeddings.values;
    if (level == Augmentation::Full) {
      EXPECT_TRUE(mentions(r, "augmentation full (rotations, mirroring, resized crops, brightness/contrast jitter)"));
      EXPECT_EQ(trainMuseCL(city, o, toyLoader, {}, {}, path).embeddings.values, r.embeddings.values) << "bitwise identical";
    }
    if (level == Augmentation::Basic) EXPECT_TRUE(mentions(r, "augmentation basic (90-degree rotations)"));
  }
  EXPECT_NE(byLevel[0], byLevel[1]);
  EXPECT_NE(byLevel[1], byLevel[2]);
  std::remove(path.c_str());
}

TEST(Training, EmbeddingWithViewsAppendsEachViewsProjectionAfterTheSameFusedVector) {
  RegionTable city = toyCity(12, true, false, true, true);  // remote sensing, POI text, mobility
  city.chipPaths[5].clear();                                 // region 5 lacks the raster view
  TrainingOptions o = tinyOptions();
  o.imageEpochs = 1;
  o.fusionEpochs = 5;
  const std::string path = tempPath("with_views.musecl");
  const TrainingResult fused = trainMuseCL(city, o, toyLoader, {}, {}, path);
  o.embeddingOutput = EmbeddingOutput::FusedAndViews;
  const TrainingResult wide = trainMuseCL(city, o, toyLoader, {}, {}, path);
  ASSERT_EQ(fused.embeddings.dimension, 16);
  ASSERT_EQ(wide.embeddings.dimension, 16 * 4) << "fused + remote sensing + POI text + mobility";
  EXPECT_TRUE(mentions(wide, "the fused vector followed by each view's projection, 64 values"));
  for (std::size_t r = 0; r < 12; ++r)
    for (int k = 0; k < 16; ++k) ASSERT_EQ(wide.embeddings.values[r * 64 + k], fused.embeddings.values[r * 16 + k]) << "the fused block is unchanged";
  double rsBlockOfRegion5 = 0, rsBlockOfRegion4 = 0;
  for (int k = 16; k < 32; ++k) {
    rsBlockOfRegion5 += std::fabs(wide.embeddings.values[5 * 64 + k]);
    rsBlockOfRegion4 += std::fabs(wide.embeddings.values[4 * 64 + k]);
  }
  EXPECT_EQ(rsBlockOfRegion5, 0.0) << "a missing view's block is zeros";
  EXPECT_GT(rsBlockOfRegion4, 0.0);
  // The model applies the same way.
  const TrainingResult applied = embedWithModel(path, city, toyLoader, DeviceChoice::Cpu, 2, {}, {});
  ASSERT_EQ(applied.embeddings.values.size(), wide.embeddings.values.size());
  for (std::size_t i = 0; i < applied.embeddings.values.size(); ++i) ASSERT_NEAR(applied.embeddings.values[i], wide.embeddings.values[i], 1e-5);
  std::remove(path.c_str());
}

TEST(Training, CancellationStopsWithinABatchAndLeavesNoModelFile) {
  const std::string model = tempPath("cancelled.musecl");
  int calls = 0;
  EXPECT_THROW(trainMuseCL(toyCity(12), tinyOptions(), toyLoader, [&](const TrainingProgress &) { return ++calls < 3; }, {}, model), TrainingCancelled);
  EXPECT_EQ(calls, 3) << "stopped at the first refusal";
  EXPECT_FALSE(std::filesystem::exists(model));
  EXPECT_FALSE(std::filesystem::exists(model + ".partial"));
}

TEST(Training, RunsInParallelThreadsTakeTurnsAndMatchTheirRunsAlone) {
  // The desktop runs algorithms in worker threads of one process. Two trainings with different
  // thread counts, started together while a third party holds the lease, must both wait (and say
  // so), then give bit for bit what each gives alone; a run cancelled while waiting throws.
  const RegionTable city = toyCity(12);
  TrainingOptions one = tinyOptions(), two = tinyOptions();
  one.threads = 1;
  two.threads = 2;
  const std::string a = tempPath("turn_a.musecl"), b = tempPath("turn_b.musecl"), c = tempPath("turn_c.musecl");
  const TrainingResult aloneOne = trainMuseCL(city, one, toyLoader, {}, {}, a);
  const TrainingResult aloneTwo = trainMuseCL(city, two, toyLoader, {}, {}, b);

  TrainingResult togetherOne, togetherTwo;
  std::atomic<int> waited{0};
  auto log = [&waited](const std::string &line) {
    if (line.rfind("Waiting for another MuseCL run", 0) == 0) ++waited;
  };
  std::atomic<bool> cancelledWhileWaiting{false};
  auto held = std::make_unique<TorchThreadsLease>(3, std::function<bool()>(), LogCallback());
  EXPECT_EQ(held->threads(), 3);
  std::thread first([&] { togetherOne = trainMuseCL(city, one, toyLoader, {}, log, a); });
  std::thread second([&] { togetherTwo = trainMuseCL(city, two, toyLoader, {}, log, b); });
  std::thread third([&] {
    try {
      trainMuseCL(city, one, toyLoader, [](const TrainingProgress &) { return false; }, {}, c);
    } catch (const TrainingCancelled &) {
      cancelledWhileWaiting = true;
    }
  });
  third.join();  // refuses at its first poll, while `held` still blocks everyone
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  held.reset();
  first.join();
  second.join();
  EXPECT_TRUE(cancelledWhileWaiting);
  EXPECT_EQ(waited, 2) << "both runs waited for the lease and said why";
  EXPECT_EQ(togetherOne.threads, 1);
  EXPECT_EQ(togetherTwo.threads, 2);
  EXPECT_EQ(togetherOne.embeddings.values, aloneOne.embeddings.values);
  EXPECT_EQ(togetherTwo.embeddings.values, aloneTwo.embeddings.values);
  EXPECT_FALSE(std::filesystem::exists(c));
  for (const auto &path : {a, b}) std::remove(path.c_str());
}

TEST(Training, NanLossIsReportedWithItsStage) {
  TrainingOptions o = tinyOptions();
  o.margin = std::nan("");
  try {
    trainMuseCL(toyCity(10), o, toyLoader, {}, {}, tempPath("nan.musecl"));
    FAIL() << "expected an error";
  } catch (const std::runtime_error &e) {
    EXPECT_NE(std::string(e.what()).find("remote sensing loss became nan"), std::string::npos) << e.what();
  }
}

TEST(Training, CudaRequestedButAbsentIsAClearError) {
  if (torch::cuda::is_available()) GTEST_SKIP() << "this machine has CUDA";
  TrainingOptions o = tinyOptions();
  o.device = DeviceChoice::Cuda;
  try {
    trainMuseCL(toyCity(10), o, toyLoader, {}, {}, tempPath("cuda.musecl"));
    FAIL() << "expected an error";
  } catch (const std::runtime_error &e) {
    EXPECT_NE(std::string(e.what()).find("CUDA was requested but is not available"), std::string::npos) << e.what();
  }
}

TEST(Training, CorruptOrForeignModelFilesAreRefusedByName) {
  const std::string garbage = tempPath("garbage.musecl");
  std::ofstream(garbage) << "this is not a model";
  try {
    readModelInfo(garbage);
    FAIL();
  } catch (const std::runtime_error &e) {
    EXPECT_NE(std::string(e.what()).find(garbage), std::string::npos) << e.what();
  }
  // A truncated real model.
  const std::string model = tempPath("truncated.musecl");
  TrainingOptions o = tinyOptions();
  o.imageEpochs = 1;
  o.fusionEpochs = 1;
  trainMuseCL(toyCity(10), o, toyLoader, {}, {}, model);
  std::filesystem::resize_file(model, std::filesystem::file_size(model) / 2);
  EXPECT_THROW(embedWithModel(model, toyCity(10), toyLoader, DeviceChoice::Cpu, 1, {}, {}), std::runtime_error);
  EXPECT_THROW(readModelInfo(tempPath("does_not_exist.musecl")), std::runtime_error);
  std::remove(garbage.c_str());
  std::remove(model.c_str());
}

TEST(Training, MissingModalitiesFallBackAndSaySo) {
  TrainingOptions o = tinyOptions();
  o.embeddingOutput = EmbeddingOutput::Fused;  // the model's size whatever the views (the automatic choice depends on them)
  o.imageEpochs = 1;
  o.fusionEpochs = 2;
  o.mobilityEpochs = 5;
  const std::string model = tempPath("fallback.musecl");
  // Chips only: geographic triplets, nothing to align to.
  const TrainingResult chipsOnly = trainMuseCL(toyCity(10, true, false, false, false), o, toyLoader, {}, {}, model);
  EXPECT_TRUE(mentions(chipsOnly, "Tile2Vec fallback"));
  EXPECT_TRUE(mentions(chipsOnly, "street view: no street-view images given"));
  EXPECT_TRUE(mentions(chipsOnly, "fewer than 2 regions have two views"));
  // Whatever the views, the embedding has the model's size.
  EXPECT_EQ(chipsOnly.embeddings.dimension, 16);
  const TrainingResult poisOnly = trainMuseCL(toyCity(10, false, false, true, false), o, toyLoader, {}, {}, model);
  EXPECT_TRUE(mentions(poisOnly, "mobility: no flows given; no mobility view"));
  EXPECT_EQ(poisOnly.embeddings.dimension, 16);
  EXPECT_EQ(poisOnly.embeddings.viewsOf(0), "poi");
  // The automatic output of a single-view model is the fused vector alone: the view's block would
  // repeat it (before, POIs alone gave 32 values, two identical halves).
  TrainingOptions automatic = o;
  automatic.embeddingOutput = EmbeddingOutput::Automatic;
  const TrainingResult poisAutomatic = trainMuseCL(toyCity(10, false, false, true, false), automatic, toyLoader, {}, {}, model);
  EXPECT_EQ(poisAutomatic.embeddings.dimension, 16);
  EXPECT_TRUE(mentions(poisAutomatic, "because the model has one view"));
  automatic.embeddingOutput = EmbeddingOutput::FusedAndViews;  // still given when asked for
  EXPECT_EQ(trainMuseCL(toyCity(10, false, false, true, false), automatic, toyLoader, {}, {}, model).embeddings.dimension, 32);
  // Mobility only, as OD flows; then as trip end points (no pairs): a volume view.
  const TrainingResult mobilityOnly = trainMuseCL(toyCity(10, false, false, false, true), o, toyLoader, {}, {}, model);
  EXPECT_EQ(mobilityOnly.embeddings.dimension, 16);
  // Embedding with 1 thread where training used 2: the same values up to float rounding (BLAS
  // kernels may sum in another order with another thread count).
  const TrainingResult again = embedWithModel(model, toyCity(10, false, false, false, true), toyLoader, DeviceChoice::Cpu, 1, {}, {});
  ASSERT_EQ(again.embeddings.values.size(), mobilityOnly.embeddings.values.size());
  for (std::size_t i = 0; i < again.embeddings.values.size(); ++i) ASSERT_NEAR(again.embeddings.values[i], mobilityOnly.embeddings.values[i], 1e-5);
  RegionTable tripEnds = toyCity(10, false, false, false, true);
  tripEnds.flows.clear();
  const TrainingResult volume = trainMuseCL(tripEnds, o, toyLoader, {}, {}, model);
  EXPECT_TRUE(mentions(volume, "trip end points give no origin-destination pairs"));
  EXPECT_EQ(readModelInfo(model).mobilityKind, "volume");
  // Nothing at all; and flow weights that are all zero are no mobility.
  EXPECT_THROW(trainMuseCL(toyCity(10, false, false, false, false), o, toyLoader, {}, {}, model), std::invalid_argument);
  RegionTable zero = toyCity(10, false, false, false, true);
  std::fill(zero.inflow.begin(), zero.inflow.end(), 0.0);
  std::fill(zero.outflow.begin(), zero.outflow.end(), 0.0);
  for (auto &f : zero.flows) f.weight = 0;
  EXPECT_THROW(trainMuseCL(zero, o, toyLoader, {}, {}, model), std::invalid_argument);
  // A region without a chip keeps its other views; one with no view at all is all zeros and says so.
  RegionTable partial = toyCity(10, true, false, true, true);
  partial.chipPaths[3].clear();
  const TrainingResult gaps = trainMuseCL(partial, o, toyLoader, {}, {}, model);
  EXPECT_TRUE(std::isnan(gaps.embeddings.viewWeight[static_cast<int>(View::RemoteSensing)][3]));
  EXPECT_EQ(gaps.embeddings.viewsOf(3), "poi+mob");
  EXPECT_EQ(gaps.embeddings.hasEmbedding[3], 1);
  RegionTable chipsWithGap = toyCity(10, true, false, false, false);
  chipsWithGap.chipPaths[3].clear();
  const TrainingResult empty = trainMuseCL(chipsWithGap, o, toyLoader, {}, {}, model);
  EXPECT_EQ(empty.embeddings.hasEmbedding[3], 0);
  EXPECT_EQ(empty.embeddings.viewsOf(3), "");
  for (int k = 0; k < 16; ++k) EXPECT_EQ(empty.embeddings.values[3 * 16 + k], 0.0f);
  EXPECT_TRUE(mentions(empty, "1 region(s) have none of the model's views"));
  std::remove(model.c_str());
}

TEST(Training, EmbeddingWithAViewMissingKeepsTheModelsDimensionAndSaysWhichViewsEachRegionHad) {
  TrainingOptions o = tinyOptions();
  o.imageEpochs = 1;
  o.fusionEpochs = 5;
  o.mobilityEpochs = 20;
  const std::string model = tempPath("masked.musecl");
  const TrainingResult full = trainMuseCL(toyCity(16), o, toyLoader, {}, {}, model);
  // Another city, smaller, with POIs and flows but no imagery: the same 16-d space, imagery masked.
  const TrainingResult other = embedWithModel(model, toyCity(12, false, false, true, true), toyLoader, DeviceChoice::Cpu, 2, {}, {});
  EXPECT_EQ(other.embeddings.dimension, full.embeddings.dimension);
  EXPECT_EQ(other.embeddings.ids.size(), 12u);
  for (std::size_t r = 0; r < 12; ++r) {
    EXPECT_EQ(other.embeddings.viewsOf(r), "poi+mob");
    EXPECT_NEAR(other.embeddings.viewWeight[static_cast<int>(View::PoiText)][r] + other.embeddings.viewWeight[static_cast<int>(View::Mobility)][r], 1.0, 1e-5);
  }
  for (float v : other.embeddings.values) ASSERT_TRUE(std::isfinite(v));
  EXPECT_TRUE(mentions(other, "the model has a remote sensing view but no raster chips were given: it is masked out"));
  // None of the model's views given: refused, naming them.
  RegionTable nothing = toyCity(6, false, false, false, false);
  try {
    embedWithModel(model, nothing, toyLoader, DeviceChoice::Cpu, 1, {}, {});
    FAIL() << "expected an error";
  } catch (const std::invalid_argument &e) {
    EXPECT_NE(std::string(e.what()).find("remote sensing, street view, POI text, mobility"), std::string::npos) << e.what();
  }
  std::remove(model.c_str());
}

TEST(Similarity, JoinedBlocksWeighEquallyWhateverTheirUnits) {
  const std::vector<std::vector<float>> metres{{0, 0}, {1000, 0}, {0, 1000}, {1000, 1000}};
  const std::vector<std::vector<float>> counts{{1}, {2}, {1}, {2}};
  const auto joined = joinedFeatures(metres, counts);
  ASSERT_EQ(joined.size(), 4u);
  ASSERT_EQ(joined[0].size(), 3u);
  double first = 0, second = 0;
  for (const auto &row : joined) {
    first += row[0] * row[0] + row[1] * row[1];
    second += row[2] * row[2];
  }
  EXPECT_NEAR(first / 4, 1.0, 1e-6);
  EXPECT_NEAR(second / 4, 1.0, 1e-6);
  EXPECT_THROW(joinedFeatures(metres, {{1}}), std::invalid_argument);
}

TEST(Clustering, PrincipalComponentsOfAPlantedLine) {
  // Columns t, 2t + tiny noise and independent noise: after standardising, the correlation matrix
  // has eigenvalues about 2, 1 and 0, so the first component explains about 2/3 of the variance and
  // follows t (its largest loading made positive, so the sign is fixed too).
  std::mt19937 rng(5);
  std::normal_distribution<double> g;
  std::vector<std::vector<double>> rows;
  std::vector<double> t;
  for (int i = 0; i < 200; ++i) {
    t.push_back(g(rng));
    rows.push_back({t.back(), 2 * t.back() + 0.01 * g(rng), g(rng)});
  }
  std::vector<double> explained;
  const auto scores = principalComponents(rows, 2, &explained);
  ASSERT_EQ(scores.size(), 200u);
  ASSERT_EQ(scores[0].size(), 2u);
  ASSERT_EQ(explained.size(), 2u);
  EXPECT_NEAR(explained[0], 2.0 / 3.0, 0.02);
  EXPECT_NEAR(explained[1], 1.0 / 3.0, 0.05);
  double sxy = 0, sxx = 0, syy = 0;
  for (std::size_t i = 0; i < 200; ++i) sxy += t[i] * scores[i][0], sxx += t[i] * t[i], syy += scores[i][0] * scores[i][0];
  // Not exactly t: the sample correlation of the noise column with t (about 0.07 for 200 rows) tilts it.
  EXPECT_GT(sxy / std::sqrt(sxx * syy), 0.99) << "the first component is +t (up to scale)";
  // k-means on the scores of two well separated blobs finds them.
  std::vector<std::vector<double>> blobs;
  for (int i = 0; i < 40; ++i) blobs.push_back({(i < 20 ? -5.0 : 5.0) + 0.1 * g(rng), 0.1 * g(rng)});
  const std::vector<int> labels = kMeans(blobs, 2, 3);
  for (int i = 1; i < 20; ++i) EXPECT_EQ(labels[static_cast<std::size_t>(i)], labels[0]);
  for (int i = 21; i < 40; ++i) EXPECT_EQ(labels[static_cast<std::size_t>(i)], labels[20]);
  EXPECT_NE(labels[0], labels[20]);
  EXPECT_THROW(kMeans(blobs, 41, 3), std::invalid_argument);
}
