// Whole training runs of the learning core on tiny inputs: loss decrease, determinism, save/load,
// cancellation, errors, modality fallbacks.
// Tolerances: float32 arithmetic, 1e-5 relative unless stated.
#include "musecl/learn/training.h"
#include "learning_test_support.h"
#include "toy_city.h"

#include <gtest/gtest.h>
#include <torch/cuda.h>
#include <chrono>
#include <thread>
#include <atomic>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

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
  const TrainingResult r = trainMuseCL(
      city, tinyOptions(), toyLoader,
      [&](const TrainingProgress &p) {
        seen.push_back(p);
        return true;
      },
      {}, model);
  EXPECT_LT(lastEpochLoss(r, "remote sensing"), firstEpochLoss(r, "remote sensing"));
  EXPECT_LT(lastEpochLoss(r, "street view"), firstEpochLoss(r, "street view"));
  EXPECT_LT(lastEpochLoss(r, "fusion"), 0.8 * firstEpochLoss(r, "fusion"));
  EXPECT_LT(lastEpochLoss(r, "mobility"), 0.5 * firstEpochLoss(r, "mobility"));
  EXPECT_EQ(r.embeddings.dimension, 16);
  EXPECT_EQ(r.embeddings.ids.size(), 20u);
  for (float v : r.embeddings.values) ASSERT_TRUE(std::isfinite(v));
  for (std::size_t i = 0; i < 20; ++i) {
    double sum = 0;
    for (int v = 0; v < 4; ++v)
      sum += r.embeddings.viewWeight[static_cast<std::size_t>(v)][i];  // every region has all four views: no NaN
    EXPECT_NEAR(sum, 1.0, 1e-5) << "region " << i;
    EXPECT_TRUE(std::isnan(r.embeddings.viewWeight[static_cast<int>(View::EmbeddingRaster)][i]))
        << "no embedding raster given";
    EXPECT_EQ(r.embeddings.viewsOf(i), "rs+sv+poi+mob");
  }
  EXPECT_TRUE(mentions(
      r, "remote sensing: positives and negatives by POI-distribution and mobility (inflow/outflow) similarity"));
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
  for (std::size_t i = 0; i < r.embeddings.values.size(); ++i)
    ASSERT_NEAR(applied.embeddings.values[i], r.embeddings.values[i], 1e-5);
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
      EXPECT_EQ(trainMuseCL(city, o, toyLoader, {}, {}, path).embeddings.values, r.embeddings.values)
          << "bitwise identical";
    }
    if (level == Augmentation::Basic) {
      EXPECT_TRUE(mentions(r, "augmentation basic (90-degree rotations)"));
    }
  }
  EXPECT_NE(byLevel[0], byLevel[1]);
  EXPECT_NE(byLevel[1], byLevel[2]);
  std::remove(path.c_str());
}

TEST(Training, EmbeddingWithViewsAppendsEachViewsProjectionAfterTheSameFusedVector) {
  RegionTable city = toyCity(12, true, false, true, true);  // remote sensing, POI text, mobility
  city.remoteSensing.chipPaths[5].clear();                  // region 5 lacks the raster view
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
    for (int k = 0; k < 16; ++k)
      ASSERT_EQ(wide.embeddings.values[r * 64 + k], fused.embeddings.values[r * 16 + k])
          << "the fused block is unchanged";
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
  for (std::size_t i = 0; i < applied.embeddings.values.size(); ++i)
    ASSERT_NEAR(applied.embeddings.values[i], wide.embeddings.values[i], 1e-5);
  std::remove(path.c_str());
}

TEST(Training, CancellationStopsWithinABatchAndLeavesNoModelFile) {
  const std::string model = tempPath("cancelled.musecl");
  int calls = 0;
  EXPECT_THROW(
      trainMuseCL(
          toyCity(12), tinyOptions(), toyLoader, [&](const TrainingProgress &) { return ++calls < 3; }, {}, model),
      TrainingCancelled);
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
      trainMuseCL(
          city, one, toyLoader, [](const TrainingProgress &) { return false; }, {}, c);
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
  expectRefused<std::runtime_error>([&] { trainMuseCL(toyCity(10), o, toyLoader, {}, {}, tempPath("nan.musecl")); },
                                    {"remote sensing loss became nan"}, "a NaN margin trained");
}

TEST(Training, CudaRequestedButAbsentIsAClearError) {
  if (torch::cuda::is_available()) GTEST_SKIP() << "this machine has CUDA";
  TrainingOptions o = tinyOptions();
  o.device = DeviceChoice::Cuda;
  expectRefused<std::runtime_error>([&] { trainMuseCL(toyCity(10), o, toyLoader, {}, {}, tempPath("cuda.musecl")); },
                                    {"CUDA was requested but is not available"},
                                    "CUDA was accepted without a CUDA device");
}

TEST(Training, CorruptOrForeignModelFilesAreRefusedByName) {
  const std::string garbage = tempPath("garbage.musecl");
  std::ofstream(garbage) << "this is not a model";
  expectRefused<std::runtime_error>([&] { readModelInfo(garbage); }, {garbage}, "a file that is not a model was read");
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
  o.embeddingOutput =
      EmbeddingOutput::Fused;  // the model's size whatever the views (the automatic choice depends on them)
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
  const TrainingResult poisAutomatic =
      trainMuseCL(toyCity(10, false, false, true, false), automatic, toyLoader, {}, {}, model);
  EXPECT_EQ(poisAutomatic.embeddings.dimension, 16);
  EXPECT_TRUE(mentions(poisAutomatic, "because the model has one view"));
  automatic.embeddingOutput = EmbeddingOutput::FusedAndViews;  // still given when asked for
  EXPECT_EQ(
      trainMuseCL(toyCity(10, false, false, true, false), automatic, toyLoader, {}, {}, model).embeddings.dimension,
      32);
  // Mobility only, as OD flows; then as trip end points (no pairs): a volume view.
  const TrainingResult mobilityOnly = trainMuseCL(toyCity(10, false, false, false, true), o, toyLoader, {}, {}, model);
  EXPECT_EQ(mobilityOnly.embeddings.dimension, 16);
  // Embedding with 1 thread where training used 2: the same values up to float rounding (BLAS
  // kernels may sum in another order with another thread count).
  const TrainingResult again =
      embedWithModel(model, toyCity(10, false, false, false, true), toyLoader, DeviceChoice::Cpu, 1, {}, {});
  ASSERT_EQ(again.embeddings.values.size(), mobilityOnly.embeddings.values.size());
  for (std::size_t i = 0; i < again.embeddings.values.size(); ++i)
    ASSERT_NEAR(again.embeddings.values[i], mobilityOnly.embeddings.values[i], 1e-5);
  RegionTable tripEnds = toyCity(10, false, false, false, true);
  tripEnds.mobility.flows.clear();
  const TrainingResult volume = trainMuseCL(tripEnds, o, toyLoader, {}, {}, model);
  EXPECT_TRUE(mentions(volume, "trip end points give no origin-destination pairs"));
  EXPECT_EQ(readModelInfo(model).mobilityKind, "volume");
  // Nothing at all; and flow weights that are all zero are no mobility.
  EXPECT_THROW(trainMuseCL(toyCity(10, false, false, false, false), o, toyLoader, {}, {}, model),
               std::invalid_argument);
  RegionTable zero = toyCity(10, false, false, false, true);
  std::fill(zero.mobility.inflow.begin(), zero.mobility.inflow.end(), 0.0);
  std::fill(zero.mobility.outflow.begin(), zero.mobility.outflow.end(), 0.0);
  for (auto &f : zero.mobility.flows) f.weight = 0;
  EXPECT_THROW(trainMuseCL(zero, o, toyLoader, {}, {}, model), std::invalid_argument);
  // A region without a chip keeps its other views; one with no view at all is all zeros and says so.
  RegionTable partial = toyCity(10, true, false, true, true);
  partial.remoteSensing.chipPaths[3].clear();
  const TrainingResult gaps = trainMuseCL(partial, o, toyLoader, {}, {}, model);
  EXPECT_TRUE(std::isnan(gaps.embeddings.viewWeight[static_cast<int>(View::RemoteSensing)][3]));
  EXPECT_EQ(gaps.embeddings.viewsOf(3), "poi+mob");
  EXPECT_EQ(gaps.embeddings.hasEmbedding[3], 1);
  RegionTable chipsWithGap = toyCity(10, true, false, false, false);
  chipsWithGap.remoteSensing.chipPaths[3].clear();
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
  const TrainingResult other =
      embedWithModel(model, toyCity(12, false, false, true, true), toyLoader, DeviceChoice::Cpu, 2, {}, {});
  EXPECT_EQ(other.embeddings.dimension, full.embeddings.dimension);
  EXPECT_EQ(other.embeddings.ids.size(), 12u);
  for (std::size_t r = 0; r < 12; ++r) {
    EXPECT_EQ(other.embeddings.viewsOf(r), "poi+mob");
    EXPECT_NEAR(other.embeddings.viewWeight[static_cast<int>(View::PoiText)][r] +
                    other.embeddings.viewWeight[static_cast<int>(View::Mobility)][r],
                1.0, 1e-5);
  }
  for (float v : other.embeddings.values) ASSERT_TRUE(std::isfinite(v));
  EXPECT_TRUE(mentions(other, "the model has a remote sensing view but no raster chips were given: it is masked out"));
  // None of the model's views given: refused, naming them.
  RegionTable nothing = toyCity(6, false, false, false, false);
  expectRefused([&] { embedWithModel(model, nothing, toyLoader, DeviceChoice::Cpu, 1, {}, {}); },
                {"remote sensing, street view, POI text, mobility"},
                "a table with none of the model's inputs was embedded");
  std::remove(model.c_str());
}

TEST(Training, StreetViewPretrainingLearnsFromEveryPhotoIsSeededAndSaysSo) {
  // Street view alone, two photos per region: each step draws 64 of the 80 photos, lowers its own
  // loss, changes the encoder the triplets start from, and repeats bitwise for a seed. 128 images
  // a step go through the encoder 16 at a time (the default cap) or all at once (0).
  const RegionTable city = toyCity(40, false, true, false, false);
  TrainingOptions o = tinyOptions();
  o.imageEpochs = 1;
  o.fusionEpochs = 0;
  o.streetViewPretrainSteps = 12;
  const std::string path = tempPath("sv_pretrain.musecl");
  auto lossFell = [](const TrainingResult &r) {
    for (const std::string &d : r.decisions)
      if (d.rfind("street view pretraining: 12 steps of 64 photos", 0) == 0) {
        EXPECT_NE(d.find("over all 80 photos"), std::string::npos) << d;
        double from = NAN, to = NAN;
        EXPECT_EQ(std::sscanf(d.c_str() + d.find("loss ") + 5, "%lf -> %lf", &from, &to), 2) << d;
        return to < from;
      }
    ADD_FAILURE() << "no pretraining decision";
    return false;
  };
  ASSERT_EQ(o.imagesPerPass, 16);
  const TrainingResult first = trainMuseCL(city, o, toyLoader, {}, {}, path);
  const TrainingResult again = trainMuseCL(city, o, toyLoader, {}, {}, path);
  EXPECT_EQ(first.embeddings.values, again.embeddings.values) << "bitwise identical";
  EXPECT_TRUE(lossFell(first));
  EXPECT_TRUE(std::isfinite(firstEpochLoss(first, "street view pretraining")));
  o.imagesPerPass = 0;
  EXPECT_TRUE(lossFell(trainMuseCL(city, o, toyLoader, {}, {}, path)));

  o.streetViewPretrainSteps = 0;
  const TrainingResult without = trainMuseCL(city, o, toyLoader, {}, {}, path);
  EXPECT_FALSE(mentions(without, "pretraining"));
  EXPECT_NE(without.embeddings.values, first.embeddings.values);
  o.streetViewPretrainSteps = -1;
  expectRefused([&] { trainMuseCL(city, o, toyLoader, {}, {}, path); }, {"street-view pretraining steps is -1"},
                "negative steps accepted");
  std::remove(path.c_str());
}

TEST(Training, InflowWithoutOutflowIsRefusedWithBothRowCounts) {
  // The mobility view reads both columns region by region: one without the other is a broken
  // table, refused before anything trains.
  RegionTable city = toyCity(8, false, false, true, true);
  city.mobility.outflow.clear();
  const std::string path = tempPath("inflow_only.musecl");
  expectRefused([&] { trainMuseCL(city, tinyOptions(), toyLoader, {}, {}, path); },
                {"the inflow column has 8 rows and the outflow column 0"},
                "a table with inflow and no outflow was accepted");
  EXPECT_FALSE(std::filesystem::exists(path));
}
