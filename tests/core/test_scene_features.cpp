// The scene encoder (musecl/learn/scene_features.h) on in-memory scenes: a planted texture that
// band statistics cannot see, identical output for identical seeds, the encoder file, ensembles of
// encoders, trainings of an ensemble each with its own encoder, and the scenes it must refuse.
#include "musecl/learn/scene_features.h"
#include "musecl/learn/train/ensemble.h"
#include "musecl/learn/training.h"
#include "learning_test_support.h"
#include "toy_city.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <numeric>
#include <random>
#include <string>
#include <vector>

using musecl::test_support::expectRefused;

namespace {

// A scene held in memory: channels x height x width values, and which pixels are valid.
class MemoryScene : public musecl::SceneSource {
 public:
  MemoryScene(int w, int h, int c)
      : w_(w), h_(h), c_(c), v_(static_cast<std::size_t>(w * h * c), 0.5f), ok_(w * h, 1) {}
  int width() const override { return w_; }
  int height() const override { return h_; }
  int channels() const override { return c_; }
  float &at(int c, int y, int x) { return v_[(static_cast<std::size_t>(c) * h_ + y) * w_ + x]; }
  void invalidate() { std::fill(ok_.begin(), ok_.end(), 0); }
  void read(int x0, int y0, int w, int h, float *chw, std::uint8_t *valid) const override {
    for (int j = 0; j < h; ++j)
      for (int i = 0; i < w; ++i) {
        const int x = x0 + i, y = y0 + j;
        const bool in = x >= 0 && y >= 0 && x < w_ && y < h_ && ok_[static_cast<std::size_t>(y * w_ + x)];
        valid[j * w + i] = in;
        for (int c = 0; c < c_; ++c)
          chw[(static_cast<std::size_t>(c) * h + j) * w + i] =
              in ? v_[(static_cast<std::size_t>(c) * h_ + y) * w_ + x] : 0.0f;
      }
  }

 private:
  int w_, h_, c_;
  std::vector<float> v_;
  std::vector<std::uint8_t> ok_;
};

class MemorySink : public musecl::FeatureSink {
 public:
  MemorySink(int w, int h, int b) : w(w), h(h), b(b), v(static_cast<std::size_t>(w * h * b), -1e9f) {}
  void write(int x0, int y0, int bw, int bh, const float *bhw) override {
    for (int k = 0; k < b; ++k)
      for (int j = 0; j < bh; ++j)
        for (int i = 0; i < bw; ++i)
          v[(static_cast<std::size_t>(k) * h + y0 + j) * w + x0 + i] =
              bhw[(static_cast<std::size_t>(k) * bh + j) * bw + i];
  }
  int w, h, b;
  std::vector<float> v;
};

constexpr int kBlock = 40, kBlocks = 4, kSide = kBlock * kBlocks;

// 4 x 4 blocks of 40 px in a checkerboard of two textures with the same values in the same
// proportions: stripes 1 px wide (class 0) and 4 px wide (class 1), 0.3 and 0.7 in every band.
// Each block's band mean (0.5) and standard deviation (0.2) are exactly those of every other.
MemoryScene plantedTextures() {
  MemoryScene s(kSide, kSide, 3);
  for (int y = 0; y < kSide; ++y)
    for (int x = 0; x < kSide; ++x) {
      const int cls = (x / kBlock + y / kBlock) % 2;
      const int width = cls == 0 ? 1 : 4;
      for (int c = 0; c < 3; ++c) s.at(c, y, x) = (x / width) % 2 == 0 ? 0.3f : 0.7f;
    }
  return s;
}

musecl::SceneFeatureOptions quickOptions(std::uint64_t seed) {
  musecl::SceneFeatureOptions o;
  o.tileSize = 8;
  o.features = 4;
  o.steps = 40;
  o.batchSize = 32;
  o.seed = seed;
  o.device = musecl::DeviceChoice::Cpu;
  o.threads = 1;
  return o;
}

musecl::Radiometry rgb() { return {{{1, 0, 1}, {2, 0, 1}, {3, 0, 1}}}; }

// Mean feature vector of each block (feature pixels whose centre lies in the block).
std::vector<std::vector<double>> blockMeans(const MemorySink &sink, int stride) {
  std::vector<std::vector<double>> means(kBlocks * kBlocks, std::vector<double>(sink.b, 0.0));
  std::vector<int> count(kBlocks * kBlocks, 0);
  for (int j = 0; j < sink.h; ++j)
    for (int i = 0; i < sink.w; ++i) {
      const int block = ((j * stride + stride / 2) / kBlock) * kBlocks + (i * stride + stride / 2) / kBlock;
      ++count[block];
      for (int k = 0; k < sink.b; ++k)
        means[block][k] += sink.v[(static_cast<std::size_t>(k) * sink.h + j) * sink.w + i];
    }
  for (int b = 0; b < kBlocks * kBlocks; ++b)
    for (double &m : means[b]) m /= count[b];
  return means;
}

// Leave-one-out nearest class centroid: how many blocks land in their own class.
int nearestCentroidHits(const std::vector<std::vector<double>> &x) {
  int hits = 0;
  for (std::size_t q = 0; q < x.size(); ++q) {
    std::vector<std::vector<double>> centre(2, std::vector<double>(x[0].size(), 0.0));
    std::vector<int> n(2, 0);
    for (std::size_t r = 0; r < x.size(); ++r) {
      if (r == q) continue;
      const int cls = static_cast<int>((r % kBlocks + r / kBlocks) % 2);
      ++n[cls];
      for (std::size_t k = 0; k < x[r].size(); ++k) centre[cls][k] += x[r][k];
    }
    double d[2] = {0, 0};
    for (int cls = 0; cls < 2; ++cls)
      for (std::size_t k = 0; k < x[q].size(); ++k) d[cls] += std::pow(x[q][k] - centre[cls][k] / n[cls], 2);
    const int nearest = d[0] < d[1] ? 0 : 1;
    hits += nearest == static_cast<int>((q % kBlocks + q / kBlocks) % 2) ? 1 : 0;
  }
  return hits;
}

}  // namespace

TEST(SceneFeatures, PlantedTextureInvisibleToBandStatisticsIsSeparated) {
  const MemoryScene scene = plantedTextures();
  // The band statistics of every block are the same: no regression on them can tell the classes.
  std::vector<float> block(3 * kBlock * kBlock);
  std::vector<std::uint8_t> valid(kBlock * kBlock);
  for (int b = 0; b < kBlocks * kBlocks; ++b) {
    scene.read((b % kBlocks) * kBlock, (b / kBlocks) * kBlock, kBlock, kBlock, block.data(), valid.data());
    const double mean = std::accumulate(block.begin(), block.end(), 0.0) / block.size();
    double var = 0;
    for (float v : block) var += (v - mean) * (v - mean);
    EXPECT_NEAR(mean, 0.5, 1e-6) << "block " << b;
    EXPECT_NEAR(std::sqrt(var / block.size()), 0.2, 1e-6) << "block " << b;
  }
  const musecl::SceneEncoder encoder = musecl::SceneEncoder::train(scene, rgb(), quickOptions(3), {}, {});
  MemorySink sink(kSide / 4, kSide / 4, 4);
  encoder.writeFeatures(scene, 4, sink, musecl::DeviceChoice::Cpu, 1, {});
  const auto means = blockMeans(sink, 4);
  for (float v : sink.v) ASSERT_TRUE(std::isfinite(v)) << "every pixel of a valid scene has a feature";
  // Every block is classified by the texture alone (16 of 16; chance is 8).
  EXPECT_EQ(nearestCentroidHits(means), kBlocks * kBlocks);
}

TEST(SceneFeatures, SameSeedSameFeaturesAndTheEncoderFileReproducesThem) {
  const MemoryScene scene = plantedTextures();
  auto features = [&](const musecl::SceneEncoder &e) {
    MemorySink sink(kSide / 8, kSide / 8, 4);
    e.writeFeatures(scene, 8, sink, musecl::DeviceChoice::Cpu, 1, {});
    return sink.v;
  };
  const musecl::SceneEncoder a = musecl::SceneEncoder::train(scene, rgb(), quickOptions(11), {}, {});
  const musecl::SceneEncoder b = musecl::SceneEncoder::train(scene, rgb(), quickOptions(11), {}, {});
  const musecl::SceneEncoder c = musecl::SceneEncoder::train(scene, rgb(), quickOptions(12), {}, {});
  const std::vector<float> fa = features(a);
  EXPECT_EQ(fa, features(b)) << "identical seeds must give identical feature rasters";
  EXPECT_NE(fa, features(c)) << "another seed must give another encoder";
  for (float v : fa) ASSERT_TRUE(std::isfinite(v));
  const std::string path = ::testing::TempDir() + "scene_encoder_test.musecl";
  a.write(path);
  const musecl::SceneEncoder read = musecl::SceneEncoder::read(path);
  EXPECT_EQ(read.info().features, 4);
  EXPECT_EQ(read.info().tileSize, 8);
  EXPECT_EQ(read.info().radiometry.bandList(), "1,2,3");
  EXPECT_EQ(fa, features(read));
  std::remove(path.c_str());
}

TEST(SceneFeatures, ValidityFollowsTheScene) {
  MemoryScene scene = plantedTextures();
  const musecl::SceneEncoder e = musecl::SceneEncoder::train(scene, rgb(), quickOptions(5), {}, {});
  scene.invalidate();
  MemorySink sink(kSide / 4, kSide / 4, 4);
  e.writeFeatures(scene, 4, sink, musecl::DeviceChoice::Cpu, 1, {});
  for (float v : sink.v) ASSERT_TRUE(std::isnan(v)) << "a pixel with no valid scene under it has no feature";
}

TEST(SceneFeatures, RefusesScenesAndOptionsThatCannotWork) {
  const MemoryScene small(12, 30, 3);
  auto big = quickOptions(1);
  big.tileSize = 16;
  expectRefused([&] { musecl::SceneEncoder::train(small, rgb(), big, {}, {}); },
                {"12 x 30 pixels, smaller than one 16 px tile"}, "a tile larger than the scene was accepted");
  MemoryScene empty(64, 64, 3);
  empty.invalidate();
  expectRefused([&] { musecl::SceneEncoder::train(empty, rgb(), quickOptions(1), {}, {}); },
                {"under half their pixels valid"}, "an all-nodata scene was accepted");
  auto odd = quickOptions(1);
  odd.tileSize = 10;
  EXPECT_THROW(musecl::SceneEncoder::train(plantedTextures(), rgb(), odd, {}, {}), std::invalid_argument);
  for (int runs : {0, musecl::kMaxRuns + 1}) {
    auto ensemble = quickOptions(1);
    ensemble.runs = runs;
    expectRefused([&] { musecl::SceneEncoder::train(plantedTextures(), rgb(), ensemble, {}, {}); },
                  {"runs is " + std::to_string(runs)}, "runs " + std::to_string(runs) + " was accepted");
  }
  const musecl::SceneEncoder e = musecl::SceneEncoder::train(plantedTextures(), rgb(), quickOptions(1), {}, {});
  const MemoryScene fourBands(64, 64, 4);
  MemorySink sink(16, 16, 4);
  expectRefused([&] { e.writeFeatures(fourBands, 4, sink, musecl::DeviceChoice::Cpu, 1, {}); },
                {"has 4 band(s) for the encoder and the encoder was trained on 3"},
                "a scene with another band count was accepted");
  const std::string bogus = ::testing::TempDir() + "not_an_encoder.musecl";
  std::ofstream(bogus) << "not a model";
  expectRefused<std::runtime_error>([&] { musecl::SceneEncoder::read(bogus); }, {bogus},
                                    "a file that is no encoder was read");
  std::remove(bogus.c_str());
}

TEST(SceneFeatures, AnEnsembleIsTheMeanOfItsEncodersTurnedOntoTheFirst) {
  const MemoryScene scene = plantedTextures();
  auto features = [&](const musecl::SceneEncoder &e) {
    MemorySink sink(kSide / 4, kSide / 4, 4);
    e.writeFeatures(scene, 4, sink, musecl::DeviceChoice::Cpu, 1, {});
    return torch::tensor(sink.v).view({4, -1}).t().to(torch::kDouble);  // [pixels, features]
  };
  musecl::SceneFeatureOptions o = quickOptions(11);
  o.runs = 2;
  const musecl::SceneEncoder ensemble = musecl::SceneEncoder::train(scene, rgb(), o, {}, {});
  EXPECT_NE(ensemble.info().summary.find("the mean of 2 encoders"), std::string::npos) << ensemble.info().summary;
  const torch::Tensor mean = features(ensemble);
  const torch::Tensor first = features(musecl::SceneEncoder::train(scene, rgb(), quickOptions(11), {}, {}));
  const torch::Tensor second =
      features(musecl::SceneEncoder::train(scene, rgb(), quickOptions(musecl::train::runSeed(11, 1)), {}, {}));
  // The ensemble's second encoder is the plain encoder from its seed with its bands turned by an
  // orthogonal matrix (fitted on other tiles of the scene): 2 x mean - first, to float precision.
  const torch::Tensor recovered = 2 * mean - first;
  const torch::Tensor rotation = musecl::train::procrustes(second, recovered);
  EXPECT_LT((second.mm(rotation) - recovered).abs().max().item<double>(), 1e-4 * recovered.abs().max().item<double>());
  EXPECT_GT((second - recovered).abs().max().item<double>(), 1e-3) << "the second encoder's bands were turned";
  // The mean still tells the planted textures apart, and the encoder file reproduces it.
  MemorySink sink(kSide / 4, kSide / 4, 4);
  ensemble.writeFeatures(scene, 4, sink, musecl::DeviceChoice::Cpu, 1, {});
  EXPECT_EQ(nearestCentroidHits(blockMeans(sink, 4)), kBlocks * kBlocks);
  const std::string path = ::testing::TempDir() + "scene_ensemble_test.musecl";
  ensemble.write(path);
  EXPECT_TRUE(torch::equal(features(musecl::SceneEncoder::read(path)), mean));
  std::remove(path.c_str());
}

namespace {

// Scene-feature columns of a toy city whose values come from `seed`, with `encoder` as their maker.
musecl::SceneFeatureColumns plantedColumns(std::size_t regions, const musecl::SceneEncoder &encoder,
                                           std::uint64_t seed) {
  musecl::SceneFeatureColumns columns;
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> noise(0.0f, 1.0f);
  for (std::size_t r = 0; r < regions; ++r) {
    std::vector<float> row(static_cast<std::size_t>(2 * encoder.info().features));
    for (float &v : row) v = noise(rng) + static_cast<float>(r % 4);
    columns.stats.push_back(row);
  }
  columns.encoder = std::make_shared<const musecl::SceneEncoder>(encoder);
  return columns;
}

}  // namespace

TEST(SceneFeatures, EachTrainingOfAnEnsembleUsesItsOwnEncodersFeatures) {
  using namespace musecl;
  const MemoryScene scene = plantedTextures();
  const SceneEncoder firstEncoder = SceneEncoder::train(scene, rgb(), quickOptions(11), {}, {});
  const SceneEncoder secondEncoder = SceneEncoder::train(scene, rgb(), quickOptions(12), {}, {});
  RegionTable city = toyCity(16, false, false, true, false);
  city.sceneFeatures = plantedColumns(city.size(), firstEncoder, 1);
  city.furtherSceneFeatures.push_back(plantedColumns(city.size(), secondEncoder, 2));
  TrainingOptions o = test_support::tinyOptions();
  o.runs = 2;
  const std::string path = test_support::tempPath("own_encoders.musecl");
  const std::string scratch = test_support::tempPath("own_encoders_single.musecl");
  const TrainingResult two = trainMuseCL(city, o, toyLoader, {}, {}, path);

  // The second training is the plain training from its seed on the second encoder's features,
  // rotated onto the first: 2 x mean - first (the first is the plain training on the first's).
  RegionTable alone = city;
  alone.furtherSceneFeatures.clear();
  o.runs = 1;
  const torch::Tensor first = train::embeddingValues(trainMuseCL(alone, o, toyLoader, {}, {}, scratch).embeddings);
  alone.sceneFeatures = city.furtherSceneFeatures.front();
  o.seed = trainingRunSeed(7, 1);
  const torch::Tensor second = train::embeddingValues(trainMuseCL(alone, o, toyLoader, {}, {}, scratch).embeddings);
  const torch::Tensor turned = second.mm(train::procrustes(second, first));
  const torch::Tensor recovered = 2 * train::embeddingValues(two.embeddings) - first;
  EXPECT_TRUE(torch::allclose(recovered, turned, 1e-4, 1e-4))
      << "largest difference " << (recovered - turned).abs().max().item<double>();

  // The model keeps the second encoder for musecl:embed, and applies each training to its own
  // encoder's features; without them it refuses instead of giving the second training the first's.
  const LoadedModel model(path);
  ASSERT_EQ(model.furtherSceneEncoders().size(), 1u);
  EXPECT_EQ(model.furtherSceneEncoders().front().info().seed, 12u);
  EXPECT_EQ(model.sceneEncoder()->info().seed, 11u);
  EXPECT_TRUE(torch::allclose(
      train::embeddingValues(embedWithModel(path, city, toyLoader, DeviceChoice::Cpu, 2, {}, {}).embeddings),
      train::embeddingValues(two.embeddings), 1e-5, 1e-5));
  expectRefused([&] { embedWithModel(path, alone, toyLoader, DeviceChoice::Cpu, 2, {}, {}); },
                {"training 2 of the model has its own scene encoder"},
                "a table without the second encoder's features was accepted");
  std::remove(path.c_str());
  std::remove(scratch.c_str());
}

TEST(SceneFeatures, FurtherTrainingsFeaturesMustMatchTheFirstTrainings) {
  using namespace musecl;
  const SceneEncoder encoder = SceneEncoder::train(plantedTextures(), rgb(), quickOptions(11), {}, {});
  RegionTable city = toyCity(8, false, false, true, false);
  city.sceneFeatures = plantedColumns(city.size(), encoder, 1);
  TrainingOptions o = test_support::tinyOptions();
  o.runs = 2;
  auto refused = [&](const SceneFeatureColumns &further, const std::string &named) {
    RegionTable bad = city;
    bad.furtherSceneFeatures = {further};
    expectRefused([&] { trainMuseCL(bad, o, toyLoader, {}, {}, test_support::tempPath("bad_further.musecl")); },
                  {named}, "further scene features that cannot work were accepted");
  };
  refused(plantedColumns(city.size() - 1, encoder, 2), "scene features have 7 rows for 8 regions");
  SceneFeatureColumns wider = plantedColumns(city.size(), encoder, 2);
  wider.scale = SceneScale::RegionAndSurroundings;
  refused(wider, "taken at another scale than the first's");
  SceneFeatureColumns empty = plantedColumns(city.size(), encoder, 2);
  for (auto &row : empty.stats) row.clear();
  refused(empty, "no region with a valid pixel");
}
