// The MuseCL trainer's driver: which views run, in what order, with what share of the progress
// bar, then fusion and the model file. Each view and stage lives in core/musecl/train/.
#include "musecl/learn/training.h"

#include "musecl/fnv.h"
#include "musecl/learn/train/torch_runtime.h"
#include "musecl/learn/train/context.h"
#include "musecl/learn/train/data_parallel.h"
#include "musecl/learn/train/ensemble.h"
#include "musecl/learn/fusion/fusion_stage.h"
#include "musecl/learn/train/model_file.h"
#include "musecl/learn/views/scene_features/scene_features_view.h"
#include "musecl/learn/views/view.h"

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
    if (log)
      log("Waiting for another MuseCL run in this process to finish: LibTorch's thread pool is shared by the whole process, so learning runs take turns");
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

// A loss weight: a finite number >= 0 (0 turns its term off).
void checkWeight(double weight, const std::string &name) {
  if (!(weight >= 0) || !std::isfinite(weight))
    throw std::invalid_argument("the " + name + " is " + std::to_string(weight) + "; it must be a finite number >= 0");
}

void checkOptions(const TrainingOptions &o) {
  if (o.embeddingSize < 2 || o.batchSize < 2 || o.imageEpochs < 0 || o.fusionEpochs < 0 || o.mobilityEpochs < 0 ||
      !(o.learningRate > 0))
    throw std::invalid_argument("embedding size and batch size must be >= 2, epochs >= 0 and the learning rate > 0");
  if (o.imagesPerPass == 1 || o.imagesPerPass == 2)
    throw std::invalid_argument("images per encoder pass is " + std::to_string(o.imagesPerPass) +
                                "; a triplet needs 3 (or 0 for the whole batch)");
  checkWeight(o.fusionFlowWeight, "fusion's flow weight");
  checkWeight(o.tripVolumeWeight, "trip-volume weight");
  if (o.embeddingOutput != EmbeddingOutput::Fused && o.embeddingOutput != EmbeddingOutput::FusedAndViews &&
      o.embeddingOutput != EmbeddingOutput::Automatic)
    throw std::invalid_argument("embedding output " + std::to_string(static_cast<int>(o.embeddingOutput)) +
                                " is none of fused (0), fused and views (1), automatic (2)");
  if (o.streetViewPretrainSteps < 0)
    throw std::invalid_argument("street-view pretraining steps is " + std::to_string(o.streetViewPretrainSteps) +
                                "; it must be 0 (none) or more");
  if (o.tripletsPerAnchor < 1)
    throw std::invalid_argument("triplets per anchor is " + std::to_string(o.tripletsPerAnchor) +
                                "; it must be at least 1");
  if (o.mobilityDimension < 1 || o.mobilityHidden < 1 || o.mobilityLayers < 0 || o.mobilityRuns < 1)
    throw std::invalid_argument("the mobility encoder needs an output and a width of at least 1 and 0 or more layers");
  if (o.runs < 1 || o.runs > kMaxRuns)
    throw std::invalid_argument("runs is " + std::to_string(o.runs) + "; it must be 1 (one training) to " +
                                std::to_string(kMaxRuns));
}

// The model-wide part of ModelInfo; each view fills its own (RegionView::describe).
ModelInfo describe(const TrainingOptions &o, const Views &models, const ViewSet &views, const RegionEmbeddings &e) {
  ModelInfo i;
  i.embeddingSize = o.embeddingSize;
  i.outputDimension = e.dimension;
  for (int v = 0; v < kViewCount; ++v) {
    models[static_cast<std::size_t>(v)]->describe(i, views[static_cast<std::size_t>(v)]);
    i.views[static_cast<std::size_t>(v)] = views[static_cast<std::size_t>(v)].defined();
  }
  i.chipSize = o.chipSize;
  i.chipWindowMetres = o.chipWindowMetres;
  i.streetViewSize = o.streetViewSize;
  i.remoteSensingBackbone = o.remoteSensingBackbone;
  i.streetViewBackbone = o.streetViewBackbone;
  i.crs = o.crs;
  i.regionSizeMetres = o.regionSizeMetres;
  i.seed = o.seed;
  i.runs = o.runs;
  i.optionsSummary = summariseOptions(o);
  return i;
}

// Trains every view the table has inputs for, in catalogue order: the heavy ones (image encoders)
// take their share of the progress bar, the light ones share the rest. Throws when none is usable,
// saying why each given input gave no view.
ViewSet trainViews(Views &models, ViewRun &run, double &cursor, const std::vector<std::string> &decisions) {
  double heavy = 0;
  for (const auto &m : models) heavy += m->heavyShare(run);
  const double rest = 1.0 - heavy;
  ViewSet views;
  for (auto &m : models) {
    if (m->heavyShare(run) == 0 && m->lightShare() > 0) run.ctx.advance(cursor, rest * m->lightShare());
    views[static_cast<std::size_t>(m->index())] = m->train(run, cursor);
  }
  if (std::none_of(views.begin(), views.end(), [](const ViewVectors &v) { return v.defined(); })) {
    std::string why;
    for (const std::string &d : decisions) why += (why.empty() ? "" : "; ") + d;
    throw std::invalid_argument(
        "no usable view: " + why +
        ". Give a raster (chips for at least 3 regions), street-view images, POIs with text, mobility flows or an embedding raster");
  }
  return views;
}

// FNV-1a over the regions, what inputs each has, and the options that shape training: equal on
// every rank of a job that was given the same inputs, so that every rank runs the same stages and
// batches (and so the same collectives in the same order).
std::uint64_t jobFingerprint(const Views &views, const RegionTable &table, const TrainingOptions &o) {
  std::uint64_t h = kFnvOffset;
  auto add = [&h](const std::string &s) {
    h = fnv1a64(s.data(), s.size() + 1, h);
  };  // with its terminating 0, so "ab"+"c" differs from "a"+"bc"
  for (const std::string &id : table.ids) add(id);
  // What decides which stages and how many batches run: each view's count of each region's inputs.
  std::vector<std::size_t> counts;
  for (const std::unique_ptr<RegionView> &view : views) view->countInputs(table, counts);
  counts.push_back(table.centroidX.size());  // the triplets' geographic fallback
  for (std::size_t n : counts) add(std::to_string(n));
  add(summariseOptions(o));  // seed included
  return h;
}

// Every rank compares its inputs with rank 0's, and all stop together with one message when any
// differs (the ranks would otherwise pair up mismatched collectives until the timeout).
void checkSameJob(const DataParallel &parallel, const Views &views, const RegionTable &table,
                  const TrainingOptions &o) {
  if (!parallel.active()) return;
  const auto mine = static_cast<int64_t>(jobFingerprint(views, table, o)), regions = static_cast<int64_t>(table.size());
  const torch::Tensor rank0 = torch::tensor({mine, regions}, torch::kLong);
  parallel.broadcast({rank0}, "the input check");
  const bool differs = rank0[0].item<int64_t>() != mine;
  const double differing = parallel.sum(differs ? 1 : 0, "the input check");
  if (differing > 0)
    throw std::invalid_argument(std::to_string(static_cast<int>(differing)) +
                                " rank(s) of the job were given other regions or options than rank 0 (rank 0 has " +
                                std::to_string(rank0[1].item<int64_t>()) + " regions, rank " +
                                std::to_string(parallel.rank()) + " has " + std::to_string(table.size()) +
                                (differs ? ", and differs" : ", and agrees") +
                                "); every rank must run with the same inputs and options");
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

// The model's views applied to `table`, each in its share of the progress bar; a view the model has
// but the table lacks is masked, and the log says so.
ViewSet applyViews(Views &models, ViewRun run) {
  for (const auto &m : models)
    if (m->inModel()) m->checkApplicable(run);
  ViewSet views;
  for (const auto &m : models) {
    if (!m->inModel()) continue;
    if (!m->given(run.table)) {
      run.ctx.decide(std::string("the model has a ") + m->name() + " view but no " + m->inputs() +
                     " were given: it is masked out");
      continue;
    }
    const bool heavy = m->applyShare() > 0;
    if (heavy) run.ctx.fractionTo = std::min(1.0, run.ctx.fractionFrom + m->applyShare());
    views[static_cast<std::size_t>(m->index())] = m->apply(run);
    if (heavy) run.ctx.fractionFrom = run.ctx.fractionTo;
  }
  return views;
}

// One training: every view the table has inputs for, then the fusion, from ctx's seed.
RegionEmbeddings trainRun(const RegionTable &table, const ImageLoader &loadImage, const RasterChipLoader &loadChip,
                          Context &ctx, Views &models, FusionModel &fusion, ViewSet &views) {
  torch::manual_seed(ctx.options.seed);
  ViewRun run{table, loadImage, loadChip, ctx};
  double cursor = 0;
  views = trainViews(models, run, cursor, ctx.decisions);
  ctx.advance(cursor, 1.0 - cursor);
  shareViews(ctx.dataParallel(), views);
  RegionEmbeddings e = trainFusion(table, views, ctx, fusion, mix(ctx.options.seed, 4));
  shareFusion(ctx.dataParallel(), fusion, e);
  return e;
}

// A context for training or applying run `run` (0-based) of the ensemble next to `first`: its own
// options (the run's seed), progress share and log prefix ("Training 2 of 3: ", "Applying ..."),
// and its own decisions, which repeat the first run's and are not kept.
struct RunContext {
  TrainingOptions options;
  ProgressCallback progress;
  LogCallback log;
  std::vector<EpochLog> epochs;
  std::vector<std::string> decisions;
  Context ctx;
  RunContext(const Context &first, const ProgressCallback &whole, int run, int runs, const std::string &doing)
      : options(first.options),
        progress(runProgress(whole, run, runs)),
        log([&first, prefix = doing + " " + std::to_string(run + 1) + " of " + std::to_string(runs) +
                              ": "](const std::string &text) { first.say(prefix + text); }),
        ctx{options, progress, log, first.device, epochs, decisions} {
    options.seed = runSeed(first.options.seed, run);
    ctx.run = run;
    ctx.parallel = first.parallel;
    ctx.threads = first.threads;
  }
  // ctx refers to this object's own members.
  RunContext(const RunContext &) = delete;
  RunContext &operator=(const RunContext &) = delete;
};

// The mean of the ensemble's embeddings: `first`, then each further run's from `next(run)`, which
// returns it with its rotation onto the first.
template <typename Next>
RegionEmbeddings averageRuns(const RegionEmbeddings &first, int runs, Next next) {
  RegionEmbeddings total = first;
  for (int run = 1; run < runs; ++run) {
    const auto [embedding, rotation] = next(run);
    addRotated(total, embedding, rotation);
  }
  divideRuns(total, runs);
  return total;
}

// A rotation fitted on fewer regions than the embedding has values leaves the directions those
// regions do not span turned arbitrarily: the training regions' mean is exact, but regions embedded
// later with the model can reach those directions, where the trainings then partly cancel.
void warnUnderdeterminedRotations(const RegionEmbeddings &e, const Context &ctx) {
  const auto regions = std::count(e.hasEmbedding.begin(), e.hasEmbedding.end(), 1);
  if (regions >= e.dimension) return;
  ctx.decide("ensemble: the embedding has " + std::to_string(e.dimension) + " values but only " +
             std::to_string(regions) +
             " regions fit the rotations, so directions these regions do not span are turned arbitrarily; the "
             "mean is exact for them, but regions embedded later with this model may average less well (a smaller "
             "EMBEDDING_SIZE or more regions avoids it)");
}

// Trainings 2..runs of the ensemble (TrainingOptions::runs), each rotated onto the first training's
// embedding `e`, which becomes the mean of all of them. Their epochs join the log as "run k: stage".
void trainEnsemble(const RegionTable &table, const ImageLoader &loadImage, const RasterChipLoader &loadChip,
                   Context &first, const ProgressCallback &whole, ModelParts &model, RegionEmbeddings &e) {
  const int runs = first.options.runs;
  if (runs < 2) return;
  const torch::Tensor reference = embeddingValues(e);
  std::string seeds = std::to_string(first.options.seed);
  e = averageRuns(e, runs, [&](int r) {
    RunContext run(first, whole, r, runs, "Training");
    EnsembleMember member;
    ViewSet views;
    RegionEmbeddings trained = trainRun(table, loadImage, loadChip, run.ctx, member.views, member.fusion, views);
    member.rotation = procrustes(embeddingValues(trained), reference);
    for (EpochLog entry : run.epochs) {
      entry.stage = "run " + std::to_string(r + 1) + ": " + entry.stage;
      first.epochLog.push_back(entry);
    }
    seeds += ", " + std::to_string(run.options.seed);
    model.ensemble.push_back(std::move(member));
    return std::make_pair(std::move(trained), model.ensemble.back().rotation);
  });
  first.decide("ensemble: " + std::to_string(runs) + " trainings from seeds " + seeds +
               ", each embedding rotated onto the first's (orthogonal Procrustes) and averaged");
  warnUnderdeterminedRotations(e, first);
}

// The model's views and fusion applied to `table`. A block of a larger layer where none of the
// given inputs reaches (a block at sea) gives regions without any view, as any such region does in a
// whole layer; the layer as a whole is checked by the caller.
RegionEmbeddings applyRun(Views &models, FusionModel &fusion, const ViewRun &run, bool blockOfLayer) {
  ViewSet views = applyViews(models, run);
  const auto none = [&views] {
    return std::none_of(views.begin(), views.end(), [](const ViewVectors &v) { return v.defined(); });
  };
  if (none() && blockOfLayer) {
    for (int v = 0; v < kViewCount; ++v)
      if (const int64_t width = fusion.sizes[static_cast<std::size_t>(v)]; width > 0) {
        views[static_cast<std::size_t>(v)] = ViewVectors{torch::zeros({static_cast<int64_t>(run.table.size()), width}),
                                                         std::vector<std::uint8_t>(run.table.size(), 0)};
        break;
      }
  }
  if (none()) {
    std::string needs;
    for (int v = 0; v < kViewCount; ++v)
      if (fusion.sizes[static_cast<std::size_t>(v)] > 0)
        needs += (needs.empty() ? "" : ", ") + std::string(viewName(v));
    throw std::invalid_argument("none of the inputs this model uses was given (its views: " + needs + ")");
  }
  return applyFusion(run.table, views, fusion, run.ctx);
}

void reportMissing(const RegionEmbeddings &e, const Context &ctx) {
  const auto missing = std::count(e.hasEmbedding.begin(), e.hasEmbedding.end(), 0);
  if (missing > 0)
    ctx.decide(std::to_string(missing) +
               " region(s) have none of the model's views; their embedding is all zeros and has_embedding = 0");
}

}  // namespace

// ------------------------------------------------------------------------------------------------

TrainingResult trainMuseCL(const RegionTable &table, const TrainingOptions &given, const ImageLoader &loadImage,
                           const ProgressCallback &progress, const LogCallback &log, const std::string &modelPath,
                           const RasterChipLoader &loadChip) {
  validateTable(table);
  checkOptions(given);
  TrainingOptions o = given;
  o.distributed = resolveDistributed(given.distributed);
  TrainingResult result;
  const torch::Device device = rankDevice(resolveDevice(o.device, result.device), o.distributed, result.device);
  TorchThreadsLease lease(
      o.threads,
      [&progress] {
        return !progress || progress(TrainingProgress{"waiting for another run", 0, 0, 0, 0, 0, 0});
      },
      log);
  result.threads = lease.threads();
  result.threadPolicy = lease.policy().describe();
  const ProgressCallback firstShare = runProgress(progress, 0, o.runs);
  Context ctx{o, firstShare, log, device, result.log, result.decisions};
  ctx.threads = &lease.policy();
  ctx.say("Device " + result.device + "; threads: " + result.threadPolicy + "; " +
          describeTorchRuntime(torchRuntimeInfo(), false) + "; seed " + std::to_string(o.seed));
  const DistributedOptions &dist = o.distributed;
  if (dist.active())
    ctx.say("Joining a data-parallel job as " + describeDistributed(dist) + "; waiting for every rank");
  const DataParallel parallel(dist, device);
  ctx.parallel = &parallel;
  ModelParts model;
  model.scale = o.similarityScale;
  checkSameJob(parallel, model.views, table, o);
  if (parallel.active())
    ctx.decide(
        "data-parallel: " + describeDistributed(dist) + " over c10d " + parallel.backend() +
        "; each rank encodes its share of every triplet batch and the gradients are summed over the ranks; skip-gram, mobility and fusion run on every rank and rank 0's are kept; rank 0 writes the model");

  ViewSet views;
  result.embeddings = trainRun(table, loadImage, loadChip, ctx, model.views, model.fusion, views);
  trainEnsemble(table, loadImage, loadChip, ctx, progress, model, result.embeddings);
  reportMissing(result.embeddings, ctx);
  model.info = describe(o, model.views, views, result.embeddings);
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

TrainingResult embedWithModel(const std::string &modelPath, const RegionTable &table, const ImageLoader &loadImage,
                              DeviceChoice deviceChoice, int threads, const ProgressCallback &progress,
                              const LogCallback &log, const RasterChipLoader &loadChip) {
  return LoadedModel(modelPath).embed(table, loadImage, deviceChoice, threads, progress, log, loadChip);
}

LoadedModel::LoadedModel(const std::string &modelPath) : model_(std::make_shared<ModelParts>(readModel(modelPath))) {}

const ModelInfo &LoadedModel::info() const { return model_->info; }

std::shared_ptr<const SceneEncoder> LoadedModel::sceneEncoder() const { return sceneEncoderOf(*model_); }

std::vector<SceneEncoder> LoadedModel::furtherSceneEncoders() const { return furtherSceneEncodersOf(*model_); }

TrainingResult LoadedModel::embed(const RegionTable &table, const ImageLoader &loadImage, DeviceChoice deviceChoice,
                                  int threads, const ProgressCallback &progress, const LogCallback &log,
                                  const RasterChipLoader &loadChip, bool blockOfLayer) {
  validateTable(table);
  ModelParts &model = *model_;
  TrainingResult result;
  const torch::Device device = resolveDevice(deviceChoice, result.device);
  TorchThreadsLease lease(
      threads,
      [&progress] {
        return !progress || progress(TrainingProgress{"waiting for another run", 0, 0, 0, 0, 0, 0});
      },
      log);
  result.threads = lease.threads();
  result.threadPolicy = lease.policy().describe();
  TrainingOptions o;
  o.embeddingSize = model.info.embeddingSize;
  o.runs = static_cast<int>(model.ensemble.size()) + 1;
  const ProgressCallback firstShare = runProgress(progress, 0, o.runs);
  Context ctx{o, firstShare, log, device, result.log, result.decisions};
  ctx.threads = &lease.policy();
  ctx.say("Device " + result.device + "; threads: " + result.threadPolicy + "; model from MuseCL " +
          model.info.pluginVersion + ", LibTorch " + model.info.torchVersion);

  result.embeddings = applyRun(model.views, model.fusion, ViewRun{table, loadImage, loadChip, ctx}, blockOfLayer);
  if (!model.ensemble.empty()) {
    result.embeddings = averageRuns(result.embeddings, o.runs, [&](int r) {
      RunContext run(ctx, progress, r, o.runs, "Applying training");
      EnsembleMember &member = model.ensemble[static_cast<std::size_t>(r - 1)];
      return std::make_pair(
          applyRun(member.views, member.fusion, ViewRun{table, loadImage, loadChip, run.ctx}, blockOfLayer),
          member.rotation);
    });
    ctx.decide("the model is an ensemble of " + std::to_string(o.runs) +
               " trainings; each embedding is rotated onto the first's and the mean is written");
  }
  reportMissing(result.embeddings, ctx);
  return result;
}

}  // namespace musecl
