// The MuseCL trainer's driver: which views run, in what order, with what share of the progress
// bar, then fusion and the model file. Each view and stage lives in core/musecl/train/.
#include "musecl/training.h"

#include "musecl/fnv.h"
#include "musecl/torch_runtime.h"
#include "musecl/train/context.h"
#include "musecl/train/data_parallel.h"
#include "musecl/train/fusion_stage.h"
#include "musecl/train/image_view.h"
#include "musecl/train/mobility_view.h"
#include "musecl/train/model_file.h"
#include "musecl/train/embedding_raster_view.h"
#include "musecl/train/poi_view.h"

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <chrono>
#include <mutex>

namespace musecl {

namespace {
std::timed_mutex &torchThreadsMutex() {
  static std::timed_mutex m;
  return m;
}
}  // namespace

TorchThreadsLease::TorchThreadsLease(int threads, const std::function<bool()> &keepWaiting, const LogCallback &log)
    : lock_(torchThreadsMutex(), std::try_to_lock) {
  if (!lock_.owns_lock()) {
    if (log) log("Waiting for another MuseCL run in this process to finish: LibTorch's thread pool is shared by the whole process, so learning runs take turns");
    while (!lock_.try_lock_for(std::chrono::milliseconds(200)))
      if (keepWaiting && !keepWaiting()) throw TrainingCancelled("cancelled while waiting for another MuseCL run");
  }
  previous_ = at::get_num_threads();
  policy_ = chooseThreadPolicy(threads, threads > 0 ? CpuLoad{} : recentCpuLoad());
  if (previous_ != policy_.threads) at::set_num_threads(policy_.threads);
}

// The lock is released after this body, by lock_'s destructor.
TorchThreadsLease::~TorchThreadsLease() {
  if (at::get_num_threads() != previous_) at::set_num_threads(previous_);
}

namespace {

using namespace train;

struct Inputs {
  bool pois = false, mobility = false, centroids = false;
};

Inputs inputsOf(const RegionTable &table) {
  Inputs in;
  in.pois = table.hasPois() && std::any_of(table.poiCounts.begin(), table.poiCounts.end(), [](const auto &row) {
    return std::any_of(row.begin(), row.end(), [](double c) { return c > 0; });
  });
  in.mobility = table.hasMobility() && std::any_of(table.inflow.begin(), table.inflow.end(), [](double v) { return v > 0; });
  in.centroids = table.centroidX.size() == table.size();
  return in;
}

// Which regions are alike for an image view's triplets, and the sentence saying so. Remote sensing:
// POI distribution, joined by mobility (log inflow/outflow) when flows are given too; street view:
// mobility (paper). Without either, geographic nearness (Tile2Vec).
std::vector<std::vector<float>> tripletSimilarity(const RegionTable &table, const Inputs &in, bool remoteSensing, const Context &ctx) {
  const TrainingOptions &o = ctx.options;
  const std::string name = remoteSensing ? "remote sensing" : "street view";
  const std::string scale = o.similarityScale == SimilarityScale::Log1p ? " (log1p-scaled counts)" : " (raw counts, paper form)";
  const bool usePois = remoteSensing && in.pois;
  if (usePois && in.mobility) {
    ctx.decide(name + ": positives and negatives by POI-distribution and mobility (inflow/outflow) similarity, each block scaled to equal weight" + scale);
    return joinedFeatures(poiDistributionFeatures(table.poiCounts, o.similarityScale), mobilityFeatures(table.inflow, table.outflow, o.similarityScale));
  }
  if (usePois) {
    ctx.decide(name + ": positives and negatives by POI-distribution similarity" + scale);
    return poiDistributionFeatures(table.poiCounts, o.similarityScale);
  }
  if (in.mobility) {
    ctx.decide(name + ": positives and negatives by mobility (inflow/outflow) similarity" + scale);
    return mobilityFeatures(table.inflow, table.outflow, o.similarityScale);
  }
  if (!in.centroids) throw std::invalid_argument(name + " needs POIs, mobility or region centroids to choose triplets");
  ctx.decide(name + ": no POI or mobility data, so positives are geographically near regions and negatives far ones (Tile2Vec fallback)");
  return geographicFeatures(table.centroidX, table.centroidY);
}

// One image view: encoder, triplets, training, then the vectors of every region with images.
ViewVectors trainImageView(const RegionTable &table, const Inputs &in, const ImageStage &stage, bool remoteSensing, ImageCache &cache, Context &ctx,
                           double share, nn::ImageEncoder &encoder, double &cursor) {
  const TrainingOptions &o = ctx.options;
  const std::vector<std::uint32_t> regions = regionsWithImages(stage);
  if (regions.size() < 3) {
    ctx.decide(regions.empty() ? stage.name + ": " + (remoteSensing ? "no raster chips given" : "no street-view images given") + "; not used"
                               : stage.name + ": only " + std::to_string(regions.size()) + " region(s) have images, fewer than the 3 a triplet needs; not used");
    return {};
  }
  const nn::Backbone backbone = nn::backboneFromName(remoteSensing ? o.remoteSensingBackbone : o.streetViewBackbone);
  const std::string &pretrained = remoteSensing ? o.remoteSensingPretrained : o.streetViewPretrained;
  const std::uint64_t seed = mix(o.seed, remoteSensing ? 1 : 2);
  torch::manual_seed(seed);
  encoder = nn::ImageEncoder(backbone, o.embeddingSize, stage.channels);
  if (!pretrained.empty()) ctx.decide(stage.name + ": " + std::to_string(encoder->loadPretrainedBackbone(pretrained)) + " pretrained tensors from " + pretrained);
  encoder->to(ctx.device);
  TripletOptions to;
  to.positivePool = o.positivePool;
  const TripletSampler sampler(tripletSimilarity(table, in, remoteSensing, ctx), regions, to);
  const std::string input = encoder->inputConvention() == nn::InputConvention::MinusOneToOne ? "inputs scaled to [-1, 1], as its torchvision weights expect"
                                                                                             : "inputs standardised with ImageNet's mean and std";
  ctx.decide(stage.name + ": " + nn::backboneName(backbone) + " encoder (" + input + ") on " + std::to_string(regions.size()) + " of " + std::to_string(table.size()) + " regions " +
             (remoteSensing ? "with a chip (" + std::to_string(o.chipSize) + " px)" : "with images (" + std::to_string(o.streetViewSize) + " px; one image drawn per region and batch)") +
             "; " + std::to_string(std::max(1, o.tripletsPerAnchor)) + " triplet(s) per region and epoch; augmentation " +
             (o.augmentation == Augmentation::None ? std::string("none")
              : o.augmentation == Augmentation::Basic ? std::string(remoteSensing ? "basic (90-degree rotations)" : "basic (left-right mirroring)")
                                                      : std::string(remoteSensing ? "full (rotations, mirroring, " : "full (mirroring, ") + "resized crops, brightness/contrast jitter)") + "; " +
             (o.imagesPerPass > 0 ? "at most " + std::to_string(o.imagesPerPass) + " images per encoder pass (gradients accumulated over a batch)"
                                  : "each batch encoded in one pass"));
  ctx.advance(cursor, share * 0.9);
  trainImageEncoder(encoder, stage, sampler, cache, ctx, seed);
  ctx.advance(cursor, share * 0.1);
  ViewVectors view = embedImages(encoder, stage, cache, ctx);
  encoder->to(torch::kCPU);
  return view;
}

void checkOptions(const TrainingOptions &o) {
  if (o.embeddingSize < 2 || o.batchSize < 2 || o.imageEpochs < 0 || o.fusionEpochs < 0 || o.mobilityEpochs < 0 || !(o.learningRate > 0))
    throw std::invalid_argument("embedding size and batch size must be >= 2, epochs >= 0 and the learning rate > 0");
  if (o.imagesPerPass == 1 || o.imagesPerPass == 2)
    throw std::invalid_argument("images per encoder pass is " + std::to_string(o.imagesPerPass) + "; a triplet needs 3 (or 0 for the whole batch)");
  if (!(o.fusionFlowWeight >= 0) || !std::isfinite(o.fusionFlowWeight))
    throw std::invalid_argument("the fusion's flow weight is " + std::to_string(o.fusionFlowWeight) + "; it must be a finite number >= 0");
  if (o.embeddingOutput != EmbeddingOutput::Fused && o.embeddingOutput != EmbeddingOutput::FusedAndViews && o.embeddingOutput != EmbeddingOutput::Automatic)
    throw std::invalid_argument("embedding output " + std::to_string(static_cast<int>(o.embeddingOutput)) + " is none of fused (0), fused and views (1), automatic (2)");
  if (o.tripletsPerAnchor < 1) throw std::invalid_argument("triplets per anchor is " + std::to_string(o.tripletsPerAnchor) + "; it must be at least 1");
  if (o.mobilityDimension < 1 || o.mobilityHidden < 1 || o.mobilityLayers < 0 || o.mobilityRuns < 1)
    throw std::invalid_argument("the mobility encoder needs an output and a width of at least 1 and 0 or more layers");
}

ModelInfo describe(const TrainingOptions &o, const ViewSet &views, const RegionEmbeddings &e) {
  ModelInfo i;
  i.embeddingSize = o.embeddingSize;
  i.outputDimension = e.dimension;
  i.remoteSensing = views[static_cast<int>(View::RemoteSensing)].defined();
  i.streetView = views[static_cast<int>(View::StreetView)].defined();
  i.poiText = views[static_cast<int>(View::PoiText)].defined();
  i.mobility = views[static_cast<int>(View::Mobility)].defined();
  const ViewVectors &er = views[static_cast<int>(View::EmbeddingRaster)];
  i.embeddingRaster = er.defined();
  i.embeddingRasterValues = er.defined() ? static_cast<int>(er.values.size(1)) : 0;
  i.chipSize = o.chipSize;
  i.chipWindowMetres = o.chipWindowMetres;
  i.streetViewSize = o.streetViewSize;
  i.remoteSensingBackbone = o.remoteSensingBackbone;
  i.streetViewBackbone = o.streetViewBackbone;
  i.crs = o.crs;
  i.regionSizeMetres = o.regionSizeMetres;
  i.seed = o.seed;
  i.optionsSummary = summariseOptions(o);
  return i;
}

// The remote-sensing chips' loader: the raster-wide radiometry when there is one (and a chip loader
// to apply it), otherwise the generic loader's per-chip stretch.
ImageLoader remoteSensingLoader(const ImageLoader &loadImage, const RasterChipLoader &loadChip, const Radiometry &radiometry) {
  if (!loadChip || !radiometry.defined()) return loadImage;
  return [loadChip, radiometry](const std::string &path, int size, std::vector<std::uint8_t> &chw) { return loadChip(path, size, radiometry, chw); };
}

// FNV-1a over the regions, what inputs each has, and the options that shape training: equal on
// every rank of a job that was given the same inputs, so that every rank runs the same stages and
// batches (and so the same collectives in the same order).
std::uint64_t jobFingerprint(const RegionTable &table, const TrainingOptions &o) {
  std::uint64_t h = kFnvOffset;
  auto add = [&h](const std::string &s) { h = fnv1a64(s.data(), s.size() + 1, h); };  // with its terminating 0, so "ab"+"c" differs from "a"+"bc"
  for (const std::string &id : table.ids) add(id);
  // What decides which stages and how many batches run: each region's inputs, by count.
  auto count = [&](std::size_t n) { add(std::to_string(n)); };
  for (std::size_t r = 0; r < table.size(); ++r) {
    count(r < table.chipPaths.size() && !table.chipPaths[r].empty());
    count(r < table.streetViewPaths.size() ? table.streetViewPaths[r].size() : 0);
    count(r < table.poiWords.size() ? table.poiWords[r].size() : 0);
    count(r < table.poiCategoryTokens.size() ? table.poiCategoryTokens[r].size() : 0);
    count(r < table.embeddingRasterStats.size() ? table.embeddingRasterStats[r].size() : 0);
  }
  count(table.poiCategories.size());
  count(table.flows.size());
  count(table.inflow.size());
  add(summariseOptions(o));  // seed included
  return h;
}

// Every rank compares its inputs with rank 0's, and all stop together with one message when any
// differs (the ranks would otherwise pair up mismatched collectives until the timeout).
void checkSameJob(const DataParallel &parallel, const RegionTable &table, const TrainingOptions &o) {
  if (!parallel.active()) return;
  const auto mine = static_cast<int64_t>(jobFingerprint(table, o)), regions = static_cast<int64_t>(table.size());
  const torch::Tensor rank0 = torch::tensor({mine, regions}, torch::kLong);
  parallel.broadcast({rank0}, "the input check");
  const bool differs = rank0[0].item<int64_t>() != mine;
  const double differing = parallel.sum(differs ? 1 : 0, "the input check");
  if (differing > 0)
    throw std::invalid_argument(std::to_string(static_cast<int>(differing)) + " rank(s) of the job were given other regions or options than rank 0 (rank 0 has " +
                                std::to_string(rank0[1].item<int64_t>()) + " regions, rank " + std::to_string(parallel.rank()) + " has " +
                                std::to_string(table.size()) + (differs ? ", and differs" : ", and agrees") + "); every rank must run with the same inputs and options");
}

// Rank 0's view vectors go to every rank before fusion, and its fusion and embeddings after, so
// that every rank ends with the model rank 0 writes, even across machines that round differently.
void shareViews(const DataParallel &parallel, ViewSet &views) {
  std::vector<torch::Tensor> values;
  for (ViewVectors &v : views)
    if (v.defined()) values.push_back(v.values);
  parallel.broadcast(values, "the view vectors");
}

void shareFusion(const DataParallel &parallel, FusionModel &fusion, RegionEmbeddings &e) {
  if (!parallel.active()) return;
  std::vector<torch::Tensor> state = fusion.fusion->parameters();
  state.push_back(torch::from_blob(e.values.data(), {static_cast<int64_t>(e.values.size())}, torch::kFloat32));
  torch::NoGradGuard noGrad;
  parallel.broadcast(state, "the fusion weights");
}

// Ranks that share a machine's GPUs take the one their launcher names in LOCAL_RANK.
torch::Device rankDevice(torch::Device device, const DistributedOptions &dist, std::string &description) {
  const char *local = std::getenv("LOCAL_RANK");
  if (!local || !dist.active() || !device.is_cuda()) return device;
  const int index = std::atoi(local);
  if (index < 0 || index >= static_cast<int>(torch::cuda::device_count())) return device;
  description = "cuda:" + std::to_string(index);
  return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index));
}

void reportMissing(const RegionEmbeddings &e, const Context &ctx) {
  const auto missing = std::count(e.hasEmbedding.begin(), e.hasEmbedding.end(), 0);
  if (missing > 0)
    ctx.decide(std::to_string(missing) + " region(s) have none of the model's views; their embedding is all zeros and has_embedding = 0");
}

}  // namespace

// ------------------------------------------------------------------------------------------------

TrainingResult trainMuseCL(const RegionTable &table, const TrainingOptions &given, const ImageLoader &loadImage, const ProgressCallback &progress,
                           const LogCallback &log, const std::string &modelPath, const RasterChipLoader &loadChip) {
  validateTable(table);
  checkOptions(given);
  TrainingOptions o = given;
  o.distributed = resolveDistributed(given.distributed);
  TrainingResult result;
  const torch::Device device = rankDevice(resolveDevice(o.device, result.device), o.distributed, result.device);
  TorchThreadsLease lease(o.threads, [&progress] { return !progress || progress(TrainingProgress{"waiting for another run", 0, 0, 0, 0, 0, 0}); }, log);
  result.threads = lease.threads();
  result.threadPolicy = lease.policy().describe();
  torch::manual_seed(o.seed);
  Context ctx{o, progress, log, device, result.log, result.decisions};
  ctx.threads = &lease.policy();
  ctx.say("Device " + result.device + "; threads: " + result.threadPolicy + "; " + describeTorchRuntime(torchRuntimeInfo(), false) + "; seed " + std::to_string(o.seed));
  const DistributedOptions &dist = o.distributed;
  if (dist.active()) ctx.say("Joining a data-parallel job as " + describeDistributed(dist) + "; waiting for every rank");
  const DataParallel parallel(dist, device);
  ctx.parallel = &parallel;
  checkSameJob(parallel, table, o);
  if (parallel.active())
    ctx.decide("data-parallel: " + describeDistributed(dist) + " over c10d " + parallel.backend() +
               "; each rank encodes its share of every triplet batch and the gradients are summed over the ranks; skip-gram, mobility and fusion run on every rank and rank 0's are kept; rank 0 writes the model");

  const Inputs in = inputsOf(table);
  ImageCache cache(loadImage, static_cast<std::size_t>(1) << 29);  // half of the 1 GiB image budget; rsCache has the other
  const ImageLoader rsLoader = remoteSensingLoader(loadImage, loadChip, table.chipRadiometry);
  // With a raster radiometry the chips have one channel per chosen band (3, or N for RS_ALL_BANDS).
  const int rsChannels = table.chipRadiometry.defined() && loadChip ? static_cast<int>(table.chipRadiometry.channels.size()) : 3;
  ImageCache rsCache(rsLoader, static_cast<std::size_t>(1) << 29, rsChannels);
  ImageStage rsStage = remoteSensingStage(table, o.chipSize);
  rsStage.channels = rsChannels;
  const ImageStage svStage = streetViewStage(table, o.streetViewSize);
  const bool trainRs = regionsWithImages(rsStage).size() >= 3, trainSv = regionsWithImages(svStage).size() >= 3;
  const double rsShare = trainRs ? 0.4 : 0, svShare = trainSv ? 0.4 : 0, rest = 1.0 - rsShare - svShare;
  double cursor = 0;

  ModelParts model;
  model.scale = o.similarityScale;
  ViewSet views;
  if (trainRs)
    ctx.decide(table.chipRadiometry.defined() && loadChip ? "remote sensing: chips scaled per raster, not per chip: " + table.chipRadiometry.describe()
                                                          : "remote sensing: each chip stretched on its own (no raster radiometry given)");
  views[static_cast<int>(View::RemoteSensing)] = trainImageView(table, in, rsStage, true, rsCache, ctx, rsShare, model.rs, cursor);
  views[static_cast<int>(View::StreetView)] = trainImageView(table, in, svStage, false, cache, ctx, svShare, model.sv, cursor);
  ctx.advance(cursor, rest * 0.15);
  views[static_cast<int>(View::PoiText)] = trainPoiView(table, ctx, model.words, mix(o.seed, 3));
  ctx.advance(cursor, rest * 0.35);
  if (in.mobility)
    views[static_cast<int>(View::Mobility)] = trainMobilityView(table, ctx, model.mobility, mix(o.seed, 5));
  else
    ctx.decide(table.hasMobility() ? "mobility: every flow weight is 0; no mobility view" : "mobility: no flows given; no mobility view");
  views[static_cast<int>(View::EmbeddingRaster)] = embeddingRasterView(table);
  if (const ViewVectors &er = views[static_cast<int>(View::EmbeddingRaster)]; er.defined())
    ctx.decide("embedding raster: mean and standard deviation of " + std::to_string(er.values.size(1) / 2) + " band(s) in " + std::to_string(er.count()) + " of " +
               std::to_string(table.size()) + " regions, fused as a view (it has no encoder of its own)");
  else if (table.hasEmbeddingRaster())
    ctx.decide("embedding raster: no region has a valid pixel in every band; not used");
  if (std::none_of(views.begin(), views.end(), [](const ViewVectors &v) { return v.defined(); })) {
    // Say why each given input gave no view (e.g. one region with a chip: a triplet needs three).
    std::string why;
    for (const std::string &d : result.decisions) why += (why.empty() ? "" : "; ") + d;
    throw std::invalid_argument("no usable view: " + why + ". Give a raster (chips for at least 3 regions), street-view images, POIs with text, mobility flows or an embedding raster");
  }

  ctx.advance(cursor, 1.0 - cursor);
  shareViews(parallel, views);
  result.embeddings = trainFusion(table, views, ctx, model.fusion, mix(o.seed, 4));
  shareFusion(parallel, model.fusion, result.embeddings);
  reportMissing(result.embeddings, ctx);
  model.info = describe(o, views, result.embeddings);
  if (model.info.remoteSensing && loadChip) model.info.radiometry = table.chipRadiometry;
  if (parallel.rank() == 0) {
    writeModel(modelPath, model);
    ctx.say("Model written to " + modelPath);
  } else {
    ctx.say("Rank " + std::to_string(parallel.rank()) + ": the model file is written by rank 0");
  }
  parallel.barrier("the end of training");
  return result;
}

ModelInfo readModelInfo(const std::string &modelPath) { return readModel(modelPath).info; }

TrainingResult embedWithModel(const std::string &modelPath, const RegionTable &table, const ImageLoader &loadImage, DeviceChoice deviceChoice, int threads,
                              const ProgressCallback &progress, const LogCallback &log, const RasterChipLoader &loadChip) {
  return LoadedModel(modelPath).embed(table, loadImage, deviceChoice, threads, progress, log, loadChip);
}

LoadedModel::LoadedModel(const std::string &modelPath) : model_(std::make_shared<ModelParts>(readModel(modelPath))) {}

const ModelInfo &LoadedModel::info() const { return model_->info; }

TrainingResult LoadedModel::embed(const RegionTable &table, const ImageLoader &loadImage, DeviceChoice deviceChoice, int threads, const ProgressCallback &progress,
                                  const LogCallback &log, const RasterChipLoader &loadChip, bool blockOfLayer) {
  validateTable(table);
  ModelParts &model = *model_;
  TrainingResult result;
  const torch::Device device = resolveDevice(deviceChoice, result.device);
  TorchThreadsLease lease(threads, [&progress] { return !progress || progress(TrainingProgress{"waiting for another run", 0, 0, 0, 0, 0, 0}); }, log);
  result.threads = lease.threads();
  result.threadPolicy = lease.policy().describe();
  TrainingOptions o;
  o.embeddingSize = model.info.embeddingSize;
  Context ctx{o, progress, log, device, result.log, result.decisions};
  ctx.threads = &lease.policy();
  ctx.say("Device " + result.device + "; threads: " + result.threadPolicy + "; model from MuseCL " + model.info.pluginVersion + ", LibTorch " +
          model.info.torchVersion);

  ViewSet views;
  ImageCache cache(loadImage, static_cast<std::size_t>(1) << 29);  // half of the 1 GiB image budget; rsCache has the other
  const ImageLoader rsLoader = remoteSensingLoader(loadImage, loadChip, model.info.radiometry);
  ImageCache rsCache(rsLoader, static_cast<std::size_t>(1) << 29, model.rs ? static_cast<int>(model.rs->inChannels()) : 3);
  if (model.rs && model.rs->inChannels() != 3 && !(loadChip && model.info.radiometry.defined()))
    throw std::invalid_argument("the model's remote-sensing encoder takes " + std::to_string(model.rs->inChannels()) + " bands, but no raster chip loader was given");
  if (model.rs && model.info.radiometry.defined() && table.hasChips())
    ctx.decide("remote sensing: chips scaled with the model's radiometry: " + model.info.radiometry.describe());
  auto missing = [&](int view, const std::string &what) { ctx.decide(std::string("the model has a ") + viewName(view) + " view but no " + what + " were given: it is masked out"); };
  auto applyEncoder = [&](nn::ImageEncoder &encoder, const ImageStage &stage, int view, const std::string &what, double to, ImageCache &images) {
    if (!encoder) return;
    if (regionsWithImages(stage).empty()) return missing(view, what);
    encoder->to(device);
    ctx.fractionTo = to;
    views[static_cast<std::size_t>(view)] = embedImages(encoder, stage, images, ctx);
    ctx.fractionFrom = to;
  };
  applyEncoder(model.rs, remoteSensingStage(table, model.info.chipSize), static_cast<int>(View::RemoteSensing), "raster chips", 0.45, rsCache);
  applyEncoder(model.sv, streetViewStage(table, model.info.streetViewSize), static_cast<int>(View::StreetView), "street-view images", 0.9, cache);
  if (model.info.poiText) {
    if (table.poiCategoryTokens.empty())
      missing(static_cast<int>(View::PoiText), "POIs");
    else
      views[static_cast<int>(View::PoiText)] = poiView(table, model.words);
  }
  if (model.info.embeddingRaster) {
    if (!table.hasEmbeddingRaster())
      missing(static_cast<int>(View::EmbeddingRaster), "embedding raster");
    else
      views[static_cast<int>(View::EmbeddingRaster)] = embeddingRasterView(table);
  }
  if (model.info.mobility) {
    if (!table.hasMobility())
      missing(static_cast<int>(View::Mobility), "flows");
    else
      views[static_cast<int>(View::Mobility)] = applyMobilityView(table, model.mobility, ctx);
  }
  if (std::none_of(views.begin(), views.end(), [](const ViewVectors &v) { return v.defined(); }) && blockOfLayer) {
    // A block of a larger layer where none of the given inputs reaches (a block at sea): its regions
    // lack every view, as any such region does in a whole layer; the layer as a whole is checked by the caller.
    for (int v = 0; v < kViewCount; ++v)
      if (const int64_t width = model.fusion.sizes[static_cast<std::size_t>(v)]; width > 0) {
        views[static_cast<std::size_t>(v)] = ViewVectors{torch::zeros({static_cast<int64_t>(table.size()), width}), std::vector<std::uint8_t>(table.size(), 0)};
        break;
      }
  }
  if (std::none_of(views.begin(), views.end(), [](const ViewVectors &v) { return v.defined(); })) {
    std::string needs;
    for (int v = 0; v < kViewCount; ++v)
      if (model.fusion.sizes[static_cast<std::size_t>(v)] > 0) needs += (needs.empty() ? "" : ", ") + std::string(viewName(v));
    throw std::invalid_argument("none of the inputs this model uses was given (its views: " + needs + ")");
  }
  result.embeddings = applyFusion(table, views, model.fusion, ctx);
  reportMissing(result.embeddings, ctx);
  return result;
}

}  // namespace musecl
