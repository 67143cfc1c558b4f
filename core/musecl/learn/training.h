// Training and applying MuseCL (IJCAI 2024) on a RegionTable: the public, standard-types API of
// the learning core. No LibTorch type appears here, so Qt translation units can include it.
//
// Views (each built only when its data exists; every decision is reported), one folder each under
// learn/views/, listed in views/catalogue.h and views/registry.cpp:
//  - remote sensing: image encoder, triplet loss; positives/negatives by POI-distribution similarity
//    (paper eqs. 3-6), joined by mobility similarity when flows are given, or by geographic
//    distance when neither is (views/remote_sensing/, views/image/);
//  - street view: the same with mobility similarity (eqs. 1-2, 5-6);
//  - embedding raster: the zonal mean and standard deviation of a continuous raster's bands
//    (views/embedding_raster/);
//  - POI semantics: skip-gram word vectors over POI text; a region's vector is the mean of its POI
//    category-word vectors (eq. 7) plus its log POI count and log distinct categories (scale);
//  - mobility: an inductive graph encoder over the OD flow graph whose outputs reproduce the log
//    trip counts between regions (views/mobility/); trip end points without OD pairs give a
//    volume view (log inflow, log outflow) instead;
//  - fusion: attention over the views a region has (eqs. 8-10), each view aligned by InfoNCE
//    (eq. 11) to the fusion of the region's other views (fusion/fusion_stage.cpp). The output is the
//    fused vector: one space and one dimension per model, whatever views a region has.
#pragma once

#include "musecl/learn/train/distributed.h"
#include "musecl/region_table.h"
#include "musecl/learn/train/similarity.h"
#include "musecl/learn/train/thread_policy.h"
#include "musecl/learn/views/catalogue.h"

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace musecl {

enum class DeviceChoice { Auto, Cpu, Cuda };

enum class TripletDistance { L2, Cosine };
// Augmentation of the images of triplet training, drawn from each batch's seed on the thread that
// decodes the next batch. Basic (the default, as the reference training): overhead chips rotated by
// a multiple of 90 degrees, street-view photos mirrored left-right at random. Full adds mirrored
// chips, random resized crops (70-100 % of the area, aspect 3:4 to 4:3, resized back with
// bilinear interpolation) and brightness/contrast jitter (+-15 %). Embedding never augments.
enum class Augmentation { None, Basic, Full };

// The embedding: the fused vector (the paper), the fused vector followed by each view's
// projection (embeddingSize x (1 + views) values), or one of the two chosen by the data.
enum class EmbeddingOutput { Fused = 0, FusedAndViews = 1, Automatic = 2 };

// The most trainings an ensemble may average (TrainingOptions::runs, SceneFeatureOptions::runs).
inline constexpr int kMaxRuns = 100;

struct TrainingOptions {
  int embeddingSize = 128;
  int imageEpochs = 10;  // per image encoder
  int fusionEpochs = 100;
  int batchSize = 32;  // triplets per batch (and regions per fusion batch)
  // Most distinct images one encoder pass holds activations for; a batch with more is split into
  // passes whose gradients add up to the batch's (0: the whole batch at once, as the reference
  // training does). Only batch-norm statistics see the smaller groups. On Manhattan (ResNet-18,
  // 256 px, CPU) 16 keeps training at 1.7 GiB where the whole batch (about 80 distinct regions for
  // 32 triplets) peaks at 3.9 GiB, and epochs are faster: small passes use the caches better.
  int imagesPerPass = 16;
  double learningRate = 5e-4;
  // Reference setup: margin-ranking loss on L2 distances, margin 5 (the default). The paper's
  // cosine form uses max(0, cosineMargin - cos(a, p) + cos(a, n)).
  TripletDistance tripletDistance = TripletDistance::L2;
  double margin = 5.0;
  double cosineMargin = 0.5;
  int lrStepEpochs = 10;  // learning-rate decay: x0.7 every this many epochs
  double lrDecay = 0.7;
  Augmentation augmentation = Augmentation::Basic;
  int chipSize = 256;           // remote-sensing input size
  double chipWindowMetres = 0;  // ground per chip (0: each region's bounding box); recorded for musecl:embed
  int streetViewSize = 299;     // street-view input size
  std::string remoteSensingBackbone = "resnet18";
  std::string streetViewBackbone = "inception_v3";
  std::string remoteSensingPretrained;  // optional TorchScript file with torchvision weights
  std::string streetViewPretrained;
  // Self-supervised steps over every street-view photo before the triplet epochs (image_pretraining.h);
  // 0: none, the paper's triplets alone.
  int streetViewPretrainSteps = 0;
  SimilarityScale similarityScale = SimilarityScale::Log1p;
  int positivePool = 3;
  int wordDimension = 64;
  int wordEpochs = 10;
  int wordWindow = 5;
  int fusionHidden = 64;
  // What the embedding holds (see fusion_stage.h). Automatic: the fused vector alone when the
  // fusion's flow term trained it (OD flows and fusionFlowWeight > 0) or the model has one view
  // (whose projection the fused vector is), else the fused vector followed by each view's
  // projection. On Manhattan the flow-trained fused vector alone beat the wider output in every
  // column; without the flow term the wider output beat the fused vector.
  EmbeddingOutput embeddingOutput = EmbeddingOutput::Automatic;
  double infoNceTemperature = 0.1;
  // Weight of the fusion's flow term when OD flows are given: the fused vectors of each batch's
  // regions must also reproduce the log trip counts among them (a bilinear decoder used only in
  // training), next to InfoNCE. Without it the attention treats the flows as one view among equals
  // and the fused vector dilutes them; on Manhattan weight 3 raised ridge R^2 of the embedding in
  // every column and the attention then favours the mobility view (BENCHMARKS.md). 0: InfoNCE only.
  double fusionFlowWeight = 3.0;
  // Weight of the trip-volume term when OD flows are given (views/mobility/volume_term.h): the
  // mobility encoder's output must also give each region's trip totals on a linear scale through a
  // linear read-out, not only as logarithms. On Manhattan it raised the published protocol's check-in
  // R^2 of the embedding alone (BENCHMARKS.md). 0: log counts only. The fusion has no such term.
  double tripVolumeWeight = 1.0;
  // Mobility view: graph encoder width, output size and training length (full-graph epochs).
  int mobilityDimension = 16;
  int mobilityHidden = 128;
  int mobilityLayers = 2;
  int mobilityEpochs = 1000;
  // Encoders trained from different initial weights, each rotated onto the first (orthogonal
  // Procrustes) and averaged. 1 by default: on Manhattan 5 gained 0.007 crime R^2 and nothing for
  // check-ins, for about 15 s more training (BENCHMARKS.md).
  int mobilityRuns = 1;
  // Whole trainings (every view and the fusion) from different seeds, each embedding rotated onto
  // the first's (orthogonal Procrustes) and averaged; the model file holds them all and applies
  // them the same way. Every input table is shared; so is the scene encoder, unless the table has
  // each training's own scene features (RegionTable::furtherSceneFeatures). 1: one training.
  int runs = 1;
  // Triplets drawn per anchor region and epoch: on a small city one per region is only a few
  // optimiser steps per epoch.
  int tripletsPerAnchor = 1;
  std::uint64_t seed = 42;
  DeviceChoice device = DeviceChoice::Auto;
  int threads = 0;  // 0: automatic, the free cores (thread_policy.h); > 0: that many
  // Data-parallel job this run is one rank of (distributed.h). The image encoders' triplet batches
  // are split across ranks and their gradients summed; the light stages (skip-gram, mobility,
  // fusion) run on every rank and rank 0's result is broadcast; rank 0 alone writes the model file.
  DistributedOptions distributed;
  // Recorded in the model file so that applying it elsewhere can be checked.
  std::string crs;
  double regionSizeMetres = 0;
};

struct TrainingProgress {
  std::string stage;  // "remote sensing", "street view", "skip-gram", "fusion", "embedding"
  int epoch = 0;      // 1-based
  int epochs = 0;
  int batch = 0;
  int batches = 0;
  double loss = 0;      // mean over the epoch so far
  double fraction = 0;  // of the whole run
};
// Return false to cancel: the run stops within the current batch and throws TrainingCancelled.
using ProgressCallback = std::function<bool(const TrainingProgress &)>;
using LogCallback = std::function<void(const std::string &)>;
// Decodes an image file into 3 x size x size bytes (channel-major, RGB); false if unreadable.
using ImageLoader = std::function<bool(const std::string &path, int size, std::vector<std::uint8_t> &chw)>;
// Decodes a raster chip with a raster-wide radiometry (raster_bands.h: loadChipBands). Used for the
// remote-sensing chips when the table (training) or the model (embedding) has a radiometry;
// otherwise chips go through the ImageLoader.
using RasterChipLoader = std::function<bool(const std::string &path, int size, const Radiometry &radiometry,
                                            std::vector<std::uint8_t> &chw)>;

struct TrainingCancelled : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct EpochLog {
  std::string stage;
  int epoch = 0;
  double loss = 0;
  double seconds = 0;
};

struct RegionEmbeddings {
  std::vector<std::string> ids;
  int dimension = 0;
  std::vector<float> values;  // ids.size() x dimension
  // Attention weight beta of each view per region ([view][region]); NaN where the region lacks
  // the view. The weights of a region's views sum to 1.
  std::vector<std::vector<float>> viewWeight;
  std::vector<std::uint8_t> hasEmbedding;     // 0 for a region with none of the model's views
  std::array<bool, kViewCount> modelViews{};  // the views the model was trained with
  // "rs+poi+mob": the views region r had (empty when none).
  std::string viewsOf(std::size_t region) const;
};

struct TrainingResult {
  RegionEmbeddings embeddings;
  std::vector<EpochLog> log;
  std::vector<std::string> decisions;  // which modalities were used, fallbacks taken, and why
  std::string device;
  int threads = 0;           // LibTorch threads at the start (THREADS when given)
  std::string threadPolicy;  // ThreadPolicy::describe() at the start; the log says when it moved
};

// The seed of training `run` (0-based) of an ensemble from the options' seed: the seed itself for
// the first, so that one run is the plain training. A scene encoder learned per training uses it.
std::uint64_t trainingRunSeed(std::uint64_t seed, int run);

// Trains on `table`, writes the model to `modelPath` atomically (a temporary file renamed into
// place only after everything succeeded) and returns the training regions' embeddings.
// Throws std::invalid_argument for unusable inputs, std::runtime_error for NaN losses, CUDA
// requested but absent, unreadable files, and TrainingCancelled on cancel.
TrainingResult trainMuseCL(const RegionTable &table, const TrainingOptions &options, const ImageLoader &loadImage,
                           const ProgressCallback &progress, const LogCallback &log, const std::string &modelPath,
                           const RasterChipLoader &loadChip = {});

struct ModelInfo {
  std::string pluginVersion;
  std::string torchVersion;
  int embeddingSize = 0;
  int outputDimension = 0;
  std::array<bool, kViewCount> views{};  // the views the model has, in catalogue order
  bool remoteSensing = false;
  bool streetView = false;
  bool poiText = false;
  bool mobility = false;
  std::string mobilityKind;  // "graph" (OD flows) or "volume" (trip end points)
  bool embeddingRaster = false;
  int embeddingRasterValues = 0;  // 2 x the raster's band count (mean and std of each band)
  bool sceneFeatures = false;     // the remote-sensing raster through a scene encoder (scene_features.h)
  int sceneFeatureValues = 0;     // 2 x the encoder's features, per scale
  SceneScale sceneScale = SceneScale::Region;
  double sceneContextMetres = 0;  // the surroundings' buffer distance, when sceneScale has them
  std::string sceneEncoderSummary;
  bool attributes = false;                  // the region-attribute view
  std::vector<std::string> attributeNames;  // its fields, read by name from the regions
  int chipSize = 0;
  double chipWindowMetres = 0;  // 0: chips cover each region's bounding box
  Radiometry radiometry;        // the remote-sensing chips' bands and scaling (undefined: per-chip stretch)
  int streetViewSize = 0;
  std::string remoteSensingBackbone;
  std::string streetViewBackbone;
  std::string crs;
  double regionSizeMetres = 0;
  std::uint64_t seed = 0;
  int runs = 1;  // trainings averaged (TrainingOptions::runs)
  std::size_t vocabularySize = 0;
  std::string optionsSummary;
};

// Reads and validates a model file; std::runtime_error naming the file if it is missing, corrupt,
// or not a MuseCL model.
ModelInfo readModelInfo(const std::string &modelPath);

// Embeds the regions of `table` with a trained model (the same city or another one). A view the
// model has but `table` lacks is masked: the output keeps the model's dimension and meaning.
// Throws std::invalid_argument when none of the model's views is given.
// Chips are scaled with the model's radiometry (table.remoteSensing.radiometry, the scene's own, is only
// for comparing: see radiometryMismatch).
TrainingResult embedWithModel(const std::string &modelPath, const RegionTable &table, const ImageLoader &loadImage,
                              DeviceChoice device, int threads, const ProgressCallback &progress,
                              const LogCallback &log, const RasterChipLoader &loadChip = {});

namespace train {
struct ModelParts;
}
// A model file read once and applied to many tables: musecl:embed streams a large region layer
// through it in blocks. embed() is embedWithModel without re-reading the file; a region's
// embedding does not depend on the other regions of its table (except through the mobility view's
// flow graph), so blocks give the embeddings of the whole table.
class SceneEncoder;  // scene_features.h

class LoadedModel {
 public:
  explicit LoadedModel(const std::string &modelPath);  // throws as readModelInfo
  const ModelInfo &info() const;
  // The model's scene encoder (info().sceneFeatures), null when it has none: musecl:embed makes the
  // feature raster of its scene with it.
  std::shared_ptr<const SceneEncoder> sceneEncoder() const;
  // The encoders of the ensemble's further trainings that have their own (TrainingOptions::runs
  // with a scene encoder learned per training), in training order; musecl:embed makes each one's
  // feature raster into RegionTable::furtherSceneFeatures. Empty when the trainings share one.
  std::vector<SceneEncoder> furtherSceneEncoders() const;
  // blockOfLayer: `table` is one block of a larger layer, so a block that none of the inputs
  // reaches gives regions without an embedding (has_embedding 0) instead of an error.
  TrainingResult embed(const RegionTable &table, const ImageLoader &loadImage, DeviceChoice device, int threads,
                       const ProgressCallback &progress, const LogCallback &log, const RasterChipLoader &loadChip = {},
                       bool blockOfLayer = false);

 private:
  std::shared_ptr<train::ModelParts> model_;
};

// LibTorch's intra-op thread pool (and the BLAS under it) is one per process, and the QGIS desktop
// runs each algorithm in its own thread: two runs with different THREADS would change each other's
// setting mid-run. So learning runs take turns. A lease holds a process-wide lock for its lifetime
// and chooses the run's thread policy (thread_policy.h: THREADS > 0, or 0: the free cores,
// measured once the lock is held); a second run waits, says once that it is waiting and why, and
// stays cancellable: `keepWaiting` is asked every 200 ms, and false throws TrainingCancelled. The
// previous thread count is restored on release.
class TorchThreadsLease {
 public:
  TorchThreadsLease(int threads, const std::function<bool()> &keepWaiting, const LogCallback &log);
  ~TorchThreadsLease();
  TorchThreadsLease(const TorchThreadsLease &) = delete;
  TorchThreadsLease &operator=(const TorchThreadsLease &) = delete;
  int threads() const { return policy_.threads; }  // the count at the start (THREADS when given)
  ThreadPolicy &policy() { return policy_; }
  const ThreadPolicy &policy() const { return policy_; }

 private:
  std::unique_lock<std::timed_mutex> lock_;  // first member: held until every other is gone
  ThreadPolicy policy_;
  int previous_ = 1;
};

}  // namespace musecl
