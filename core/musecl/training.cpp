// The MuseCL training pipeline (see training.h for the stages). One translation unit on purpose:
// each unit that includes LibTorch costs ~30 s and 1.5 GB to compile on a 2-core machine.
#include "musecl/training.h"

#include "musecl/encoder_passes.h"
#include "musecl/nn/encoders.h"
#include "musecl/nn/fusion.h"
#include "musecl/skipgram.h"
#include "musecl/torch_runtime.h"
#include "musecl/version.h"

#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <future>
#include <limits>
#include <map>
#include <numeric>
#include <random>
#include <set>
#include <sstream>
#include <thread>
#include <unordered_map>

namespace musecl {

namespace F = torch::nn::functional;
using nn::Backbone;
using nn::Fusion;
using nn::ImageEncoder;
using nn::infoNce;

int configureTorchThreads(int threads) {
  const int wanted = threads > 0 ? threads : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  if (at::get_num_threads() != wanted) at::set_num_threads(wanted);
  return at::get_num_threads();
}

namespace {

constexpr const char *kFormat = "musecl-model";
constexpr std::int64_t kFormatVersion = 1;
constexpr int kMaxStreetViewImagesPerRegion = 16;  // for embedding; training draws one per batch

// ------------------------------------------------------------------------------------------------
// Modules and losses

// The loss's value (one device-to-host copy per batch), or an error naming where it stopped being finite.
double finiteLoss(const torch::Tensor &loss, const std::string &stage, int epoch, int batch) {
  const double v = loss.item<double>();
  if (!std::isfinite(v)) {
    std::ostringstream msg;
    msg << "the " << stage << " loss became " << v << " at epoch " << epoch << ", batch " << batch
        << "; lower the learning rate or check the inputs for constant or empty images";
    throw std::runtime_error(msg.str());
  }
  return v;
}

// ------------------------------------------------------------------------------------------------
// Images

// Decoded images, kept while they fit a memory budget so that later epochs decode nothing.
class ImageCache {
 public:
  ImageCache(const ImageLoader &loader, std::size_t budgetBytes) : loader_(loader), budget_(budgetBytes) {}
  // [3, size, size] uint8, or an undefined tensor if the file cannot be decoded.
  torch::Tensor get(const std::string &path, int size) {
    const std::string key = path + '#' + std::to_string(size);
    const auto it = cache_.find(key);
    if (it != cache_.end()) return it->second;
    std::vector<std::uint8_t> bytes;
    if (!loader_ || !loader_(path, size, bytes) || bytes.size() != static_cast<std::size_t>(3) * size * size) return {};
    torch::Tensor t = torch::from_blob(bytes.data(), {3, size, size}, torch::kUInt8).clone();
    if (used_ + t.numel() <= budget_) {
      used_ += static_cast<std::size_t>(t.numel());
      cache_.emplace(key, t);
    }
    return t;
  }

 private:
  const ImageLoader &loader_;
  std::size_t budget_;
  std::size_t used_ = 0;
  std::unordered_map<std::string, torch::Tensor> cache_;
};

enum class Augment { None, Rotate90, HorizontalFlip };

torch::Tensor augmented(const torch::Tensor &chw, Augment augment, std::mt19937_64 &rng) {
  switch (augment) {
    case Augment::Rotate90: {
      const int k = std::uniform_int_distribution<int>(0, 3)(rng);  // 0/90/180/270 degrees
      return k == 0 ? chw : torch::rot90(chw, k, {1, 2});
    }
    case Augment::HorizontalFlip:
      return std::bernoulli_distribution(0.5)(rng) ? chw.flip({2}) : chw;
    case Augment::None:
      return chw;
  }
  return chw;
}

struct PreparedBatch {
  torch::Tensor images;  // [U, 3, S, S] float in [0, 1]
  std::vector<std::int64_t> anchor, positive, negative;  // indexes into images
};

struct ImageStage {
  std::string name;
  std::vector<std::vector<std::string>> imagesPerRegion;  // empty: region has none
  int size = 256;
  Augment augment = Augment::None;
};

std::uint64_t mix(std::uint64_t a, std::uint64_t b) {
  std::uint64_t z = a + 0x9E3779B97F4A7C15ULL * (b + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// Every distinct region of the batch is decoded and encoded once, whatever number of triplets it is in.
PreparedBatch prepareBatch(const ImageStage &stage, const std::vector<Triplet> &triplets, std::size_t from, std::size_t to, ImageCache &cache,
                           std::uint64_t batchSeed) {
  std::mt19937_64 rng(batchSeed);
  std::map<std::uint32_t, std::int64_t> slot;
  std::vector<torch::Tensor> images;
  auto indexOf = [&](std::uint32_t region) -> std::int64_t {
    const auto it = slot.find(region);
    if (it != slot.end()) return it->second;
    const auto &paths = stage.imagesPerRegion[region];
    const std::string &path = paths[std::uniform_int_distribution<std::size_t>(0, paths.size() - 1)(rng)];
    torch::Tensor img = cache.get(path, stage.size);
    if (!img.defined()) throw std::runtime_error("cannot decode image '" + path + "' (" + stage.name + ")");
    images.push_back(augmented(img, stage.augment, rng));
    return slot[region] = static_cast<std::int64_t>(images.size() - 1);
  };
  PreparedBatch batch;
  for (std::size_t i = from; i < to; ++i) {
    batch.anchor.push_back(indexOf(triplets[i].anchor));
    batch.positive.push_back(indexOf(triplets[i].positive));
    batch.negative.push_back(indexOf(triplets[i].negative));
  }
  batch.images = torch::stack(images).to(torch::kFloat32).div_(255.0);
  return batch;
}

// ------------------------------------------------------------------------------------------------
// The run

struct Context {
  const TrainingOptions &options;
  const ProgressCallback &progress;
  const LogCallback &log;
  torch::Device device;
  std::vector<EpochLog> &epochLog;
  std::vector<std::string> &decisions;
  double fractionFrom = 0;
  double fractionTo = 1;

  void report(const std::string &stage, int epoch, int epochs, int batch, int batches, double loss) const {
    TrainingProgress p;
    p.stage = stage;
    p.epoch = epoch;
    p.epochs = epochs;
    p.batch = batch;
    p.batches = batches;
    p.loss = loss;
    const double within = epochs > 0 ? ((epoch - 1) + (batches > 0 ? static_cast<double>(batch) / batches : 1.0)) / epochs : 1.0;
    p.fraction = fractionFrom + (fractionTo - fractionFrom) * std::min(1.0, std::max(0.0, within));
    if (progress && !progress(p)) throw TrainingCancelled("training cancelled during " + stage + ", epoch " + std::to_string(epoch));
  }
  void say(const std::string &text) const {
    if (log) log(text);
  }
  void decide(const std::string &text) const {
    decisions.push_back(text);
    say(text);
  }
};

torch::Device resolveDevice(DeviceChoice choice, std::string &description) {
  const bool cuda = torch::cuda::is_available();
  if (choice == DeviceChoice::Cuda && !cuda)
    throw std::runtime_error("CUDA was requested but is not available (this LibTorch " + torchRuntimeInfo().torchVersion +
                             " sees no CUDA device); use DEVICE=auto or cpu");
  const bool useCuda = choice == DeviceChoice::Cuda || (choice == DeviceChoice::Auto && cuda);
  description = useCuda ? "cuda:0" : "cpu";
  return useCuda ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
}

void trainImageEncoder(ImageEncoder &encoder, const ImageStage &stage, const TripletSampler &sampler, ImageCache &cache, Context &ctx,
                       std::uint64_t stageSeed) {
  const TrainingOptions &o = ctx.options;
  encoder->train();
  torch::optim::Adam optimizer(encoder->parameters(), torch::optim::AdamOptions(o.learningRate).amsgrad(true));
  std::mt19937_64 rng(stageSeed);
  for (int epoch = 1; epoch <= o.imageEpochs; ++epoch) {
    const auto started = std::chrono::steady_clock::now();
    const double lr = o.learningRate * std::pow(o.lrDecay, (epoch - 1) / std::max(1, o.lrStepEpochs));
    for (auto &group : optimizer.param_groups()) static_cast<torch::optim::AdamOptions &>(group.options()).lr(lr);
    const std::vector<Triplet> triplets = sampler.epoch(rng);
    const std::size_t batchSize = static_cast<std::size_t>(std::max(1, o.batchSize));
    const int batches = static_cast<int>((triplets.size() + batchSize - 1) / batchSize);
    auto prepare = [&](int b) {
      const std::size_t from = static_cast<std::size_t>(b) * batchSize;
      return prepareBatch(stage, triplets, from, std::min(triplets.size(), from + batchSize), cache, mix(stageSeed, mix(epoch, b)));
    };
    // Decode and augment the next batch while this one trains.
    std::future<PreparedBatch> next = std::async(std::launch::async, prepare, 0);
    double sum = 0;
    for (int b = 0; b < batches; ++b) {
      PreparedBatch batch = next.get();
      if (b + 1 < batches) next = std::async(std::launch::async, prepare, b + 1);
      // The batch loss is the mean over its triplets, so each pass's mean counts by its share of them.
      const std::size_t tripletsInBatch = batch.anchor.size();
      optimizer.zero_grad();
      double batchLoss = 0;
      const std::vector<EncoderPassPlan> passes = planEncoderPasses(batch.anchor, batch.positive, batch.negative, batch.images.size(0), o.imagesPerPass);
      for (const EncoderPassPlan &pass : passes) {
        const torch::Tensor images = passes.size() == 1 ? batch.images : batch.images.index_select(0, torch::tensor(pass.images, torch::kLong));
        const torch::Tensor embeddings = encoder->forward(images.to(ctx.device));
        auto pick = [&](const std::vector<std::int64_t> &rows) { return embeddings.index_select(0, torch::tensor(rows, torch::kLong).to(ctx.device)); };
        const torch::Tensor loss = nn::tripletLoss(pick(pass.anchor), pick(pass.positive), pick(pass.negative), o.tripletDistance == TripletDistance::L2,
                                                   o.tripletDistance == TripletDistance::L2 ? o.margin : o.cosineMargin);
        const double value = finiteLoss(loss, stage.name, epoch, b + 1);
        const double share = static_cast<double>(pass.anchor.size()) / static_cast<double>(tripletsInBatch);
        (loss * share).backward();
        batchLoss += value * share;
      }
      optimizer.step();
      sum += batchLoss;
      try {
        ctx.report(stage.name, epoch, o.imageEpochs, b + 1, batches, sum / (b + 1));
      } catch (...) {
        if (next.valid()) next.wait();  // never leave a decoding thread behind
        throw;
      }
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    ctx.epochLog.push_back({stage.name, epoch, sum / std::max(1, batches), seconds});
    char line[160];
    std::snprintf(line, sizeof(line), "%s epoch %d/%d: triplet loss %.4f (%.1f s, lr %.2g)", stage.name.c_str(), epoch, o.imageEpochs, sum / std::max(1, batches), seconds, lr);
    ctx.say(line);
  }
}

// Embeddings of every region that has images ([N, D], rows of regions without images are zero), with
// a region's several images averaged.
torch::Tensor embedImages(ImageEncoder &encoder, const ImageStage &stage, ImageCache &cache, Context &ctx, std::vector<std::uint8_t> &has) {
  torch::NoGradGuard noGrad;
  encoder->eval();
  const std::size_t n = stage.imagesPerRegion.size();
  const int64_t d = encoder->projection->options.out_features();
  torch::Tensor out = torch::zeros({static_cast<int64_t>(n), d});
  has.assign(n, 0);
  std::vector<std::pair<std::size_t, std::string>> work;
  for (std::size_t r = 0; r < n; ++r) {
    const auto &paths = stage.imagesPerRegion[r];
    for (std::size_t k = 0; k < paths.size() && k < static_cast<std::size_t>(kMaxStreetViewImagesPerRegion); ++k) work.emplace_back(r, paths[k]);
  }
  std::vector<int> counts(n, 0);
  const std::size_t chunk = 32;
  for (std::size_t i = 0; i < work.size(); i += chunk) {
    std::vector<torch::Tensor> images;
    std::vector<std::size_t> owners;
    for (std::size_t j = i; j < std::min(work.size(), i + chunk); ++j) {
      torch::Tensor img = cache.get(work[j].second, stage.size);
      if (!img.defined()) continue;  // unreadable here: the region falls back to its other images
      images.push_back(img);
      owners.push_back(work[j].first);
    }
    if (!images.empty()) {
      const torch::Tensor e = encoder->forward(torch::stack(images).to(torch::kFloat32).div_(255.0).to(ctx.device)).to(torch::kCPU);
      for (std::size_t j = 0; j < owners.size(); ++j) {
        out[static_cast<int64_t>(owners[j])] += e[static_cast<int64_t>(j)];
        ++counts[owners[j]];
      }
    }
    ctx.report("embedding " + stage.name, 1, 1, static_cast<int>(i / chunk) + 1, static_cast<int>((work.size() + chunk - 1) / chunk), 0);
  }
  for (std::size_t r = 0; r < n; ++r)
    if (counts[r] > 0) {
      out[static_cast<int64_t>(r)] /= counts[r];
      has[r] = 1;
    }
  return out;
}

// ------------------------------------------------------------------------------------------------
// Model files

void writeString(torch::serialize::OutputArchive &a, const std::string &key, const std::string &value) { a.write(key, c10::IValue(value)); }
void writeInt(torch::serialize::OutputArchive &a, const std::string &key, std::int64_t value) { a.write(key, c10::IValue(value)); }
void writeDouble(torch::serialize::OutputArchive &a, const std::string &key, double value) { a.write(key, c10::IValue(value)); }

std::string readString(torch::serialize::InputArchive &a, const std::string &key) {
  c10::IValue v;
  a.read(key, v);
  return v.toStringRef();
}
std::int64_t readInt(torch::serialize::InputArchive &a, const std::string &key) {
  c10::IValue v;
  a.read(key, v);
  return v.toInt();
}
double readDouble(torch::serialize::InputArchive &a, const std::string &key) {
  c10::IValue v;
  a.read(key, v);
  return v.toDouble();
}

// Everything needed to rebuild the modules, plus provenance.
struct StoredModel {
  ModelInfo info;
  int wordDimension = 0;
  int fusionHidden = 0;
  int sharedDimension = 0;
  bool appendPoiVector = false;
  bool mobilityOnly = false;
  std::vector<double> mobilityMean, mobilityStd;
  SimilarityScale scale = SimilarityScale::Log1p;
};

std::string summarise(const TrainingOptions &o) {
  std::ostringstream s;
  s << "embedding_size=" << o.embeddingSize << " image_epochs=" << o.imageEpochs << " fusion_epochs=" << o.fusionEpochs << " batch_size=" << o.batchSize
    << " images_per_pass=" << o.imagesPerPass << " learning_rate=" << o.learningRate << " triplet=" << (o.tripletDistance == TripletDistance::L2 ? "l2" : "cosine") << " margin="
    << (o.tripletDistance == TripletDistance::L2 ? o.margin : o.cosineMargin) << " lr_step=" << o.lrStepEpochs << "x" << o.lrDecay
    << " chip_size=" << o.chipSize << " street_view_size=" << o.streetViewSize << " rs_backbone=" << o.remoteSensingBackbone
    << " sv_backbone=" << o.streetViewBackbone << " similarity=" << (o.similarityScale == SimilarityScale::Log1p ? "log1p" : "raw")
    << " positive_pool=" << o.positivePool << " word_dimension=" << o.wordDimension << " word_epochs=" << o.wordEpochs
    << " fusion_hidden=" << o.fusionHidden << " temperature=" << o.infoNceTemperature << " append_poi=" << (o.appendPoiVector ? 1 : 0)
    << " seed=" << o.seed;
  return s.str();
}

StoredModel loadStored(const std::string &path, torch::serialize::InputArchive &archive) {
  try {
    archive.load_from(path);
  } catch (const c10::Error &e) {
    throw std::runtime_error("'" + path + "' is not a readable MuseCL model file (missing, truncated or corrupt): " + e.what_without_backtrace());
  }
  StoredModel m;
  try {
    if (readString(archive, "musecl.format") != kFormat) throw std::runtime_error("wrong format tag");
    const std::int64_t version = readInt(archive, "musecl.format_version");
    if (version > kFormatVersion)
      throw std::runtime_error("format version " + std::to_string(version) + " is newer than this plugin understands (" + std::to_string(kFormatVersion) + ")");
    ModelInfo &i = m.info;
    i.pluginVersion = readString(archive, "musecl.plugin_version");
    i.torchVersion = readString(archive, "musecl.torch_version");
    i.embeddingSize = static_cast<int>(readInt(archive, "musecl.embedding_size"));
    i.outputDimension = static_cast<int>(readInt(archive, "musecl.output_dimension"));
    i.remoteSensing = readInt(archive, "musecl.has_remote_sensing") != 0;
    i.streetView = readInt(archive, "musecl.has_street_view") != 0;
    i.poiText = readInt(archive, "musecl.has_poi_text") != 0;
    i.chipSize = static_cast<int>(readInt(archive, "musecl.chip_size"));
    i.streetViewSize = static_cast<int>(readInt(archive, "musecl.street_view_size"));
    i.remoteSensingBackbone = readString(archive, "musecl.rs_backbone");
    i.streetViewBackbone = readString(archive, "musecl.sv_backbone");
    i.crs = readString(archive, "musecl.crs");
    i.regionSizeMetres = readDouble(archive, "musecl.region_size_m");
    i.seed = static_cast<std::uint64_t>(readInt(archive, "musecl.seed"));
    i.optionsSummary = readString(archive, "musecl.options");
    m.wordDimension = static_cast<int>(readInt(archive, "musecl.word_dimension"));
    m.fusionHidden = static_cast<int>(readInt(archive, "musecl.fusion_hidden"));
    m.sharedDimension = static_cast<int>(readInt(archive, "musecl.shared_dimension"));
    m.appendPoiVector = readInt(archive, "musecl.append_poi") != 0;
    m.mobilityOnly = readInt(archive, "musecl.mobility_only") != 0;
    m.scale = readInt(archive, "musecl.similarity_log1p") != 0 ? SimilarityScale::Log1p : SimilarityScale::Raw;
  } catch (const c10::Error &e) {
    throw std::runtime_error("'" + path + "' is not a MuseCL model file: " + e.what_without_backtrace());
  } catch (const std::runtime_error &e) {
    throw std::runtime_error("'" + path + "' is not a usable MuseCL model file: " + e.what());
  }
  return m;
}

// ------------------------------------------------------------------------------------------------
// Shared by training and embedding: turns per-modality embeddings into the final ones.

struct ModalityEmbeddings {
  torch::Tensor sv, rs;  // [N, D] or undefined
  std::vector<std::uint8_t> hasSv, hasRs;
  torch::Tensor poi;  // [N, W] or undefined
  std::vector<std::uint8_t> hasPoi;
};

RegionEmbeddings finalEmbeddings(const RegionTable &table, const ModalityEmbeddings &m, Fusion &fusion, const StoredModel &model, int embeddingSize) {
  torch::NoGradGuard noGrad;
  const auto n = static_cast<int64_t>(table.size());
  RegionEmbeddings out;
  out.ids = table.ids;
  out.weightStreetView.assign(static_cast<std::size_t>(n), std::numeric_limits<float>::quiet_NaN());
  out.weightRemoteSensing = out.weightStreetView;
  out.hasEmbedding.assign(static_cast<std::size_t>(n), 0);
  std::vector<torch::Tensor> parts;
  const bool anyImage = m.sv.defined() || m.rs.defined();
  if (anyImage) {
    torch::Tensor e = torch::zeros({n, 2, embeddingSize});
    torch::Tensor mask = torch::zeros({n, 2}, torch::kBool);
    for (int64_t r = 0; r < n; ++r) {
      if (m.sv.defined() && m.hasSv[static_cast<std::size_t>(r)]) {
        e[r][0] = m.sv[r];
        mask[r][0] = true;
      }
      if (m.rs.defined() && m.hasRs[static_cast<std::size_t>(r)]) {
        e[r][1] = m.rs[r];
        mask[r][1] = true;
      }
    }
    fusion->eval();
    const auto [fused, beta] = fusion->fuse(e, mask);
    parts.push_back(fused);
    for (int64_t r = 0; r < n; ++r) {
      const auto i = static_cast<std::size_t>(r);
      if (mask[r][0].item<bool>()) out.weightStreetView[i] = beta[r][0].item<float>();
      if (mask[r][1].item<bool>()) out.weightRemoteSensing[i] = beta[r][1].item<float>();
      out.hasEmbedding[i] = mask[r].any().item<bool>() ? 1 : 0;
    }
  }
  if (m.poi.defined() && (!anyImage || model.appendPoiVector)) {
    parts.push_back(m.poi);
    for (std::size_t i = 0; i < m.hasPoi.size(); ++i) out.hasEmbedding[i] = out.hasEmbedding[i] || m.hasPoi[i];
  }
  if (model.mobilityOnly) {
    torch::Tensor mob = torch::zeros({n, 2});
    for (int64_t r = 0; r < n; ++r) {
      const auto i = static_cast<std::size_t>(r);
      const double in = model.scale == SimilarityScale::Log1p ? std::log1p(table.inflow[i]) : table.inflow[i];
      const double outv = model.scale == SimilarityScale::Log1p ? std::log1p(table.outflow[i]) : table.outflow[i];
      mob[r][0] = (in - model.mobilityMean[0]) / model.mobilityStd[0];
      mob[r][1] = (outv - model.mobilityMean[1]) / model.mobilityStd[1];
      out.hasEmbedding[i] = 1;
    }
    parts.push_back(mob);
  }
  const torch::Tensor all = torch::cat(parts, 1).contiguous();
  out.dimension = static_cast<int>(all.size(1));
  out.values.assign(all.data_ptr<float>(), all.data_ptr<float>() + all.numel());
  return out;
}

ImageStage remoteSensingStage(const RegionTable &table, int size) {
  ImageStage s{"remote sensing", {}, size, Augment::Rotate90};
  s.imagesPerRegion.resize(table.size());
  if (table.hasChips())
    for (std::size_t r = 0; r < table.size(); ++r)
      if (!table.chipPaths[r].empty()) s.imagesPerRegion[r] = {table.chipPaths[r]};
  return s;
}

ImageStage streetViewStage(const RegionTable &table, int size) {
  ImageStage s{"street view", {}, size, Augment::HorizontalFlip};
  s.imagesPerRegion.resize(table.size());
  if (table.hasStreetView()) s.imagesPerRegion = table.streetViewPaths;
  return s;
}

std::vector<std::uint32_t> regionsWithImages(const ImageStage &stage) {
  std::vector<std::uint32_t> out;
  for (std::uint32_t r = 0; r < stage.imagesPerRegion.size(); ++r)
    if (!stage.imagesPerRegion[r].empty()) out.push_back(r);
  return out;
}

torch::Tensor poiVectors(const RegionTable &table, const SkipGram &words, std::vector<std::uint8_t> &has) {
  const auto n = static_cast<int64_t>(table.size());
  torch::Tensor out = torch::zeros({n, words.dimension()});
  has.assign(table.size(), 0);
  std::vector<float> v;
  for (int64_t r = 0; r < n; ++r) {
    const auto &tokens = table.poiCategoryTokens.empty() ? std::vector<std::string>() : table.poiCategoryTokens[static_cast<std::size_t>(r)];
    if (words.meanVector(tokens, v)) {
      out[r] = torch::from_blob(v.data(), {words.dimension()}, torch::kFloat32).clone();
      has[static_cast<std::size_t>(r)] = 1;
    }
  }
  return out;
}

void validateTable(const RegionTable &t) {
  const std::size_t n = t.size();
  if (n == 0) throw std::invalid_argument("there are no regions");
  auto check = [&](std::size_t size, const char *what) {
    if (size != 0 && size != n) throw std::invalid_argument(std::string(what) + " has " + std::to_string(size) + " rows for " + std::to_string(n) + " regions");
  };
  check(t.poiCounts.size(), "the POI count table");
  check(t.poiWords.size(), "the POI word table");
  check(t.poiCategoryTokens.size(), "the POI category table");
  check(t.inflow.size(), "the inflow column");
  check(t.outflow.size(), "the outflow column");
  check(t.chipPaths.size(), "the chip list");
  check(t.streetViewPaths.size(), "the street-view list");
  check(t.centroidX.size(), "the centroid list");
}

}  // namespace

// ------------------------------------------------------------------------------------------------

TrainingResult trainMuseCL(const RegionTable &table, const TrainingOptions &o, const ImageLoader &loadImage, const ProgressCallback &progress,
                           const LogCallback &log, const std::string &modelPath) {
  validateTable(table);
  if (o.embeddingSize < 2 || o.batchSize < 2 || o.imageEpochs < 0 || o.fusionEpochs < 0 || !(o.learningRate > 0))
    throw std::invalid_argument("embedding size and batch size must be >= 2, epochs >= 0 and the learning rate > 0");
  if (o.imagesPerPass == 1 || o.imagesPerPass == 2)
    throw std::invalid_argument("images per encoder pass is " + std::to_string(o.imagesPerPass) + "; a triplet needs 3 (or 0 for the whole batch)");
  TrainingResult result;
  const torch::Device device = resolveDevice(o.device, result.device);
  result.threads = configureTorchThreads(o.threads);
  torch::manual_seed(o.seed);
  Context ctx{o, progress, log, device, result.log, result.decisions};
  ctx.say("Device " + result.device + ", " + std::to_string(result.threads) + " thread(s), " + describeTorchRuntime(torchRuntimeInfo()) + ", seed " + std::to_string(o.seed));

  const Backbone rsBackbone = nn::backboneFromName(o.remoteSensingBackbone);
  const Backbone svBackbone = nn::backboneFromName(o.streetViewBackbone);
  const bool hasPois = table.hasPois() && std::any_of(table.poiCounts.begin(), table.poiCounts.end(), [](const auto &row) {
    return std::any_of(row.begin(), row.end(), [](double c) { return c > 0; });
  });
  const bool hasMobility = table.hasMobility() && std::any_of(table.inflow.begin(), table.inflow.end(), [](double v) { return v > 0; });
  const bool hasCentroids = table.centroidX.size() == table.size();
  ImageCache cache(loadImage, static_cast<std::size_t>(1) << 30);

  StoredModel stored;
  stored.scale = o.similarityScale;
  ModalityEmbeddings m;
  ImageEncoder rsEncoder{nullptr}, svEncoder{nullptr};

  // Stage budget for the progress bar.
  const ImageStage rsStage = remoteSensingStage(table, o.chipSize);
  const ImageStage svStage = streetViewStage(table, o.streetViewSize);
  const std::vector<std::uint32_t> rsRegions = regionsWithImages(rsStage);
  const std::vector<std::uint32_t> svRegions = regionsWithImages(svStage);
  const bool trainRs = rsRegions.size() >= 3;
  const bool trainSv = svRegions.size() >= 3;
  const double rsShare = trainRs ? 0.45 : 0, svShare = trainSv ? 0.45 : 0, rest = 1.0 - rsShare - svShare;
  double cursor = 0;

  auto similarityFeatures = [&](bool preferred, const std::vector<std::vector<float>> &features, const std::string &what, const std::string &stageName) {
    if (preferred) {
      ctx.decide(stageName + ": positives and negatives by " + what + " similarity" +
                 (o.similarityScale == SimilarityScale::Log1p ? " (log1p-scaled counts)" : " (raw counts, paper form)"));
      return features;
    }
    if (!hasCentroids) throw std::invalid_argument(stageName + " needs " + what + " or region centroids to choose triplets");
    ctx.decide(stageName + ": no " + what + " data, so positives are geographically near regions and negatives far ones (Tile2Vec fallback)");
    return geographicFeatures(table.centroidX, table.centroidY);
  };

  // One image modality: encoder, triplets by the modality's similarity (or the geographic
  // fallback), training, then embeddings of every region that has images.
  struct ImageModality {
    const ImageStage &stage;
    const std::vector<std::uint32_t> &regions;
    Backbone backbone;
    const std::string &pretrained;
    bool hasSimilarity;
    std::vector<std::vector<float>> similarity;
    std::string similarityName;
    std::string imagesDescription;  // e.g. "with a chip (256 px)"
    std::string missingDescription;  // e.g. "no raster chips given"
    double share;
    std::uint64_t seedTag;
  };
  auto runImageModality = [&](ImageModality mod, ImageEncoder &encoder, torch::Tensor &embeddings, std::vector<std::uint8_t> &has) {
    const std::string &name = mod.stage.name;
    if (mod.regions.size() < 3) {
      ctx.decide(mod.regions.empty() ? name + ": " + mod.missingDescription + "; not used"
                                     : name + ": only " + std::to_string(mod.regions.size()) + " region(s) have images, fewer than the 3 a triplet needs; not used");
      return;
    }
    encoder = ImageEncoder(mod.backbone, o.embeddingSize);
    if (!mod.pretrained.empty())
      ctx.decide(name + ": " + std::to_string(encoder->loadPretrainedBackbone(mod.pretrained)) + " pretrained tensors from " + mod.pretrained);
    encoder->to(device);
    TripletOptions to;
    to.positivePool = o.positivePool;
    const TripletSampler sampler(similarityFeatures(mod.hasSimilarity, mod.similarity, mod.similarityName, name), mod.regions, to);
    ctx.decide(name + ": " + nn::backboneName(mod.backbone) + " encoder on " + std::to_string(mod.regions.size()) + " of " + std::to_string(table.size()) +
               " regions " + mod.imagesDescription + "; " +
               (o.imagesPerPass > 0 ? "at most " + std::to_string(o.imagesPerPass) + " images per encoder pass (gradients accumulated over a batch)"
                                    : "each batch encoded in one pass"));
    ctx.fractionFrom = cursor;
    ctx.fractionTo = cursor += mod.share * 0.9;
    trainImageEncoder(encoder, mod.stage, sampler, cache, ctx, mix(o.seed, mod.seedTag));
    ctx.fractionFrom = cursor;
    ctx.fractionTo = cursor += mod.share * 0.1;
    embeddings = embedImages(encoder, mod.stage, cache, ctx, has);
  };
  runImageModality({rsStage, rsRegions, rsBackbone, o.remoteSensingPretrained, hasPois,
                    hasPois ? poiDistributionFeatures(table.poiCounts, o.similarityScale) : std::vector<std::vector<float>>(), "POI-distribution",
                    "with a chip (" + std::to_string(o.chipSize) + " px)", "no raster chips given", rsShare, 1},
                   rsEncoder, m.rs, m.hasRs);
  runImageModality({svStage, svRegions, svBackbone, o.streetViewPretrained, hasMobility,
                    hasMobility ? mobilityFeatures(table.inflow, table.outflow, o.similarityScale) : std::vector<std::vector<float>>(),
                    "mobility (inflow/outflow)", "with images (" + std::to_string(o.streetViewSize) + " px; one image drawn per region and batch)",
                    "no street-view images given", svShare, 2},
                   svEncoder, m.sv, m.hasSv);

  // Skip-gram over POI text.
  SkipGram words;
  const bool hasText = !table.poiWords.empty() && std::any_of(table.poiWords.begin(), table.poiWords.end(), [](const auto &s) { return !s.empty(); });
  if (hasText) {
    SkipGramOptions so;
    so.dimension = o.wordDimension;
    so.epochs = o.wordEpochs;
    so.window = o.wordWindow;
    so.seed = mix(o.seed, 3);
    ctx.fractionFrom = cursor;
    ctx.fractionTo = cursor += rest * 0.2;
    words.train(table.poiWords, so, [&](int epoch, int epochs) {
      ctx.report("skip-gram", std::min(epoch + 1, epochs), epochs, 0, 0, 0);
      return true;
    });
    m.poi = poiVectors(table, words, m.hasPoi);
    const auto withPoi = std::count(m.hasPoi.begin(), m.hasPoi.end(), 1);
    ctx.decide("POI text: skip-gram (hierarchical softmax) over " + std::to_string(words.vocabularySize()) + " words, " + std::to_string(o.wordDimension) +
               "-d; region vector = mean of its POI category words (" + std::to_string(withPoi) + " of " + std::to_string(table.size()) + " regions have one)");
  } else {
    ctx.decide("POI text: none given; no POI-text embedding and no InfoNCE alignment");
  }

  // Fusion.
  const int sharedDimension = std::min(o.embeddingSize, o.wordDimension);
  Fusion fusion(o.embeddingSize, o.fusionHidden, std::max(1, words.dimension()), sharedDimension);
  fusion->to(device);
  const bool anyImage = m.rs.defined() || m.sv.defined();
  if (anyImage && m.poi.defined()) {
    std::vector<int64_t> aligned;
    for (std::size_t r = 0; r < table.size(); ++r)
      if (m.hasPoi[r] && ((m.rs.defined() && m.hasRs[r]) || (m.sv.defined() && m.hasSv[r]))) aligned.push_back(static_cast<int64_t>(r));
    if (aligned.size() >= 2 && o.fusionEpochs > 0) {
      const auto n = static_cast<int64_t>(table.size());
      torch::Tensor e = torch::zeros({n, 2, o.embeddingSize});
      torch::Tensor mask = torch::zeros({n, 2}, torch::kBool);
      for (int64_t r = 0; r < n; ++r) {
        if (m.sv.defined() && m.hasSv[static_cast<std::size_t>(r)]) e[r][0] = m.sv[r], mask[r][0] = true;
        if (m.rs.defined() && m.hasRs[static_cast<std::size_t>(r)]) e[r][1] = m.rs[r], mask[r][1] = true;
      }
      e = e.to(device);
      mask = mask.to(device);
      const torch::Tensor poi = m.poi.to(device);
      fusion->train();
      torch::optim::Adam optimizer(fusion->parameters(), torch::optim::AdamOptions(o.learningRate * 2));
      std::mt19937_64 rng(mix(o.seed, 4));
      ctx.fractionFrom = cursor;
      ctx.fractionTo = cursor += rest * 0.7;
      const std::size_t batch = static_cast<std::size_t>(std::max(2, o.batchSize));
      for (int epoch = 1; epoch <= o.fusionEpochs; ++epoch) {
        const auto started = std::chrono::steady_clock::now();
        std::shuffle(aligned.begin(), aligned.end(), rng);
        double sum = 0;
        int batches = 0;
        const int total = static_cast<int>((aligned.size() + batch - 1) / batch);
        for (std::size_t from = 0; from < aligned.size(); from += batch) {
          const std::size_t to = std::min(aligned.size(), from + batch);
          if (to - from < 2) break;  // InfoNCE needs a negative
          const torch::Tensor idx = torch::tensor(std::vector<int64_t>(aligned.begin() + static_cast<std::ptrdiff_t>(from), aligned.begin() + static_cast<std::ptrdiff_t>(to)), torch::kLong).to(device);
          const auto fused = fusion->fuse(e.index_select(0, idx), mask.index_select(0, idx)).first;
          const torch::Tensor loss = infoNce(fusion->imageProjection(fused), fusion->poiProjection(poi.index_select(0, idx)), o.infoNceTemperature);
          sum += finiteLoss(loss, "fusion", epoch, batches + 1);
          optimizer.zero_grad();
          loss.backward();
          optimizer.step();
          ++batches;
          ctx.report("fusion", epoch, o.fusionEpochs, batches, total, sum / batches);
        }
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
        result.log.push_back({"fusion", epoch, sum / std::max(1, batches), seconds});
        if (epoch == 1 || epoch == o.fusionEpochs || epoch % 10 == 0) {
          char line[128];
          std::snprintf(line, sizeof(line), "fusion epoch %d/%d: InfoNCE loss %.4f", epoch, o.fusionEpochs, sum / std::max(1, batches));
          ctx.say(line);
        }
      }
      ctx.decide("fusion: attentive weights over " + std::string(m.sv.defined() && m.rs.defined() ? "street view and remote sensing" : m.sv.defined() ? "street view" : "remote sensing") +
                 ", aligned to the POI-text vector with InfoNCE on " + std::to_string(aligned.size()) + " regions");
    } else {
      ctx.decide("fusion: fewer than 2 regions have both images and POI text; attention weights left untrained");
    }
  } else if (anyImage) {
    ctx.decide("fusion: no POI text to align to; attention weights untrained (equal weights where both image kinds exist)");
  }
  fusion->to(torch::kCPU);

  stored.info.embeddingSize = o.embeddingSize;
  stored.info.remoteSensing = static_cast<bool>(rsEncoder);
  stored.info.streetView = static_cast<bool>(svEncoder);
  stored.info.poiText = m.poi.defined();
  stored.appendPoiVector = o.appendPoiVector;
  stored.wordDimension = words.dimension();
  stored.fusionHidden = o.fusionHidden;
  stored.sharedDimension = sharedDimension;
  if (!anyImage && !m.poi.defined()) {
    if (!hasMobility)
      throw std::invalid_argument("no usable modality: give a raster (chips), street-view images, POIs with text, or mobility flows");
    stored.mobilityOnly = true;
    for (const auto *column : {&table.inflow, &table.outflow}) {
      double sum = 0, sq = 0;
      for (double v : *column) {
        const double x = o.similarityScale == SimilarityScale::Log1p ? std::log1p(v) : v;
        sum += x;
        sq += x * x;
      }
      const double mean = sum / table.size();
      stored.mobilityMean.push_back(mean);
      stored.mobilityStd.push_back(std::max(1e-9, std::sqrt(std::max(0.0, sq / table.size() - mean * mean))));
    }
    ctx.decide("embedding: only mobility is available, so the embedding is the standardised (log1p inflow, log1p outflow) pair");
  } else if (!anyImage) {
    ctx.decide("embedding: no imagery, so the region embedding is the POI-text vector");
  } else if (o.appendPoiVector && m.poi.defined()) {
    ctx.decide("embedding: fused image embedding followed by the POI-text vector");
  }

  if (rsEncoder) rsEncoder->to(torch::kCPU);
  if (svEncoder) svEncoder->to(torch::kCPU);
  result.embeddings = finalEmbeddings(table, m, fusion, stored, o.embeddingSize);
  const auto missing = std::count(result.embeddings.hasEmbedding.begin(), result.embeddings.hasEmbedding.end(), 0);
  if (missing > 0)
    ctx.decide(std::to_string(missing) + " region(s) have none of the inputs the embedding uses; their embedding is all zeros and has_embedding = 0");

  // The model file: written to a temporary name, renamed only when complete.
  torch::serialize::OutputArchive archive;
  writeString(archive, "musecl.format", kFormat);
  writeInt(archive, "musecl.format_version", kFormatVersion);
  writeString(archive, "musecl.plugin_version", MUSECL_VERSION);
  writeString(archive, "musecl.torch_version", torchRuntimeInfo().torchVersion);
  writeInt(archive, "musecl.embedding_size", o.embeddingSize);
  writeInt(archive, "musecl.output_dimension", result.embeddings.dimension);
  writeInt(archive, "musecl.has_remote_sensing", stored.info.remoteSensing);
  writeInt(archive, "musecl.has_street_view", stored.info.streetView);
  writeInt(archive, "musecl.has_poi_text", stored.info.poiText);
  writeInt(archive, "musecl.chip_size", o.chipSize);
  writeInt(archive, "musecl.street_view_size", o.streetViewSize);
  writeString(archive, "musecl.rs_backbone", o.remoteSensingBackbone);
  writeString(archive, "musecl.sv_backbone", o.streetViewBackbone);
  writeString(archive, "musecl.crs", o.crs);
  writeDouble(archive, "musecl.region_size_m", o.regionSizeMetres);
  writeInt(archive, "musecl.seed", static_cast<std::int64_t>(o.seed));
  writeString(archive, "musecl.options", summarise(o));
  writeInt(archive, "musecl.word_dimension", stored.wordDimension);
  writeInt(archive, "musecl.fusion_hidden", stored.fusionHidden);
  writeInt(archive, "musecl.shared_dimension", stored.sharedDimension);
  writeInt(archive, "musecl.append_poi", stored.appendPoiVector);
  writeInt(archive, "musecl.mobility_only", stored.mobilityOnly);
  writeInt(archive, "musecl.similarity_log1p", o.similarityScale == SimilarityScale::Log1p);
  if (stored.mobilityOnly) {
    archive.write("musecl.mobility_mean", torch::tensor(stored.mobilityMean, torch::kFloat64));
    archive.write("musecl.mobility_std", torch::tensor(stored.mobilityStd, torch::kFloat64));
  }
  if (rsEncoder) {
    torch::serialize::OutputArchive sub;
    rsEncoder->save(sub);
    archive.write("rs_encoder", sub);
  }
  if (svEncoder) {
    torch::serialize::OutputArchive sub;
    svEncoder->save(sub);
    archive.write("sv_encoder", sub);
  }
  {
    torch::serialize::OutputArchive sub;
    fusion->save(sub);
    archive.write("fusion", sub);
  }
  if (m.poi.defined()) {
    c10::List<std::string> vocabulary;
    for (const auto &w : words.words()) vocabulary.push_back(w);
    archive.write("words.vocabulary", c10::IValue(vocabulary));
    std::vector<float> vectors = words.vectors();
    archive.write("words.vectors", torch::from_blob(vectors.data(), {static_cast<int64_t>(words.vocabularySize()), words.dimension()}, torch::kFloat32).clone());
  }
  const std::string temporary = modelPath + ".partial";
  try {
    archive.save_to(temporary);
  } catch (const c10::Error &e) {
    std::remove(temporary.c_str());
    throw std::runtime_error("cannot write the model file '" + modelPath + "': " + e.what_without_backtrace());
  }
  if (std::rename(temporary.c_str(), modelPath.c_str()) != 0) {
    std::remove(temporary.c_str());
    throw std::runtime_error("cannot move the finished model into place at '" + modelPath + "'");
  }
  ctx.say("Model written to " + modelPath);
  return result;
}

ModelInfo readModelInfo(const std::string &modelPath) {
  torch::serialize::InputArchive archive;
  StoredModel stored = loadStored(modelPath, archive);
  try {
    c10::IValue v;
    if (archive.try_read("words.vocabulary", v)) stored.info.vocabularySize = v.toListRef().size();
  } catch (const c10::Error &) {
  }
  return stored.info;
}

TrainingResult embedWithModel(const std::string &modelPath, const RegionTable &table, const ImageLoader &loadImage, DeviceChoice deviceChoice, int threads,
                              const ProgressCallback &progress, const LogCallback &log) {
  validateTable(table);
  torch::serialize::InputArchive archive;
  StoredModel stored = loadStored(modelPath, archive);
  TrainingResult result;
  const torch::Device device = resolveDevice(deviceChoice, result.device);
  result.threads = configureTorchThreads(threads);
  TrainingOptions o;
  o.embeddingSize = stored.info.embeddingSize;
  Context ctx{o, progress, log, device, result.log, result.decisions};
  ctx.say("Device " + result.device + ", " + std::to_string(result.threads) + " thread(s); model from MuseCL " + stored.info.pluginVersion + ", LibTorch " +
          stored.info.torchVersion);

  ModalityEmbeddings m;
  ImageCache cache(loadImage, static_cast<std::size_t>(1) << 30);
  try {
    // A stored image encoder applied to the regions' images, unless none were given.
    auto applyEncoder = [&](bool stored_, const ImageStage &stage, const std::string &backbone, const char *key, const std::string &missing, double from,
                            double to, torch::Tensor &out, std::vector<std::uint8_t> &has) {
      if (!stored_) return;
      if (regionsWithImages(stage).empty()) {
        ctx.decide("the model has a " + stage.name + " encoder but no " + missing + " were given: that part is left out");
        return;
      }
      ImageEncoder encoder(nn::backboneFromName(backbone), stored.info.embeddingSize);
      torch::serialize::InputArchive sub;
      archive.read(key, sub);
      encoder->load(sub);
      encoder->to(device);
      ctx.fractionFrom = from;
      ctx.fractionTo = to;
      out = embedImages(encoder, stage, cache, ctx, has);
    };
    applyEncoder(stored.info.remoteSensing, remoteSensingStage(table, stored.info.chipSize), stored.info.remoteSensingBackbone, "rs_encoder", "chips", 0.0,
                 0.45, m.rs, m.hasRs);
    applyEncoder(stored.info.streetView, streetViewStage(table, stored.info.streetViewSize), stored.info.streetViewBackbone, "sv_encoder",
                 "street-view images", 0.45, 0.9, m.sv, m.hasSv);
    SkipGram words;
    if (stored.info.poiText) {
      c10::IValue vocabulary;
      archive.read("words.vocabulary", vocabulary);
      torch::Tensor vectors;
      archive.read("words.vectors", vectors);
      std::vector<std::string> list;
      for (const auto &w : vocabulary.toListRef()) list.push_back(w.toStringRef());
      const torch::Tensor contiguous = vectors.contiguous();
      words.restore(list, std::vector<float>(contiguous.data_ptr<float>(), contiguous.data_ptr<float>() + contiguous.numel()), static_cast<int>(vectors.size(1)));
      if (table.poiCategoryTokens.empty())
        ctx.decide("the model uses POI text but no POIs were given: that part is left out");
      else
        m.poi = poiVectors(table, words, m.hasPoi);
    }
    if (stored.mobilityOnly) {
      if (!table.hasMobility()) throw std::invalid_argument("the model embeds mobility, but no mobility flows were given");
      torch::Tensor mean, stdev;
      archive.read("musecl.mobility_mean", mean);
      archive.read("musecl.mobility_std", stdev);
      stored.mobilityMean = {mean[0].item<double>(), mean[1].item<double>()};
      stored.mobilityStd = {stdev[0].item<double>(), stdev[1].item<double>()};
    }
    if (!m.rs.defined() && !m.sv.defined() && !m.poi.defined() && !stored.mobilityOnly)
      throw std::invalid_argument("none of the inputs this model uses was given (it needs: " +
                                  std::string(stored.info.remoteSensing ? "raster chips " : "") + (stored.info.streetView ? "street-view images " : "") +
                                  (stored.info.poiText ? "POIs with text" : "") + ")");
    Fusion fusion(stored.info.embeddingSize, stored.fusionHidden, std::max(1, stored.wordDimension), stored.sharedDimension);
    torch::serialize::InputArchive sub;
    archive.read("fusion", sub);
    fusion->load(sub);
    result.embeddings = finalEmbeddings(table, m, fusion, stored, stored.info.embeddingSize);
  } catch (const c10::Error &e) {
    throw std::runtime_error("model file '" + modelPath + "' is incomplete or corrupt: " + e.what_without_backtrace());
  }
  if (stored.info.outputDimension != result.embeddings.dimension)
    ctx.decide("the embedding has " + std::to_string(result.embeddings.dimension) + " dimensions, not the model's " + std::to_string(stored.info.outputDimension) +
               ", because some of its inputs were not given");
  return result;
}

}  // namespace musecl
