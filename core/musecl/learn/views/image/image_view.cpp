// The image views: see image_view.h.
#include "musecl/learn/views/image/image_view.h"

#include "musecl/learn/views/image/encoder_passes.h"
#include "musecl/learn/nn/fusion.h"
#include "musecl/learn/train/data_parallel.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <future>
#include <map>
#include <random>

namespace musecl::train {

using nn::ImageEncoder;

namespace {

constexpr int kMaxStreetViewImagesPerRegion = 16;  // for embedding; training draws one per batch

// A random crop of 70-100 % of the area with aspect 3:4 to 4:3, resized back to the input size.
torch::Tensor randomResizedCrop(const torch::Tensor &x, std::mt19937_64 &rng) {
  const int64_t h = x.size(1), w = x.size(2);
  const double area = std::uniform_real_distribution<double>(0.7, 1.0)(rng) * static_cast<double>(h * w);
  const double aspect = std::exp(std::uniform_real_distribution<double>(std::log(3.0 / 4.0), std::log(4.0 / 3.0))(rng));
  const int64_t ch = std::clamp<int64_t>(std::llround(std::sqrt(area / aspect)), 1, h),
                cw = std::clamp<int64_t>(std::llround(std::sqrt(area * aspect)), 1, w);
  const int64_t y0 = std::uniform_int_distribution<int64_t>(0, h - ch)(rng),
                x0 = std::uniform_int_distribution<int64_t>(0, w - cw)(rng);
  namespace F = torch::nn::functional;
  return F::interpolate(
             x.slice(1, y0, y0 + ch).slice(2, x0, x0 + cw).unsqueeze(0),
             F::InterpolateFuncOptions().size(std::vector<int64_t>{h, w}).mode(torch::kBilinear).align_corners(false))
      .squeeze(0);
}

struct PreparedBatch {
  torch::Tensor images;                                  // [U, 3, S, S] float in [0, 1]
  std::vector<std::int64_t> anchor, positive, negative;  // indexes into images
};

// Every distinct region of the batch is decoded and encoded once, whatever number of triplets it is in.
// A region's image and augmentation are drawn from the batch seed and the region alone, so a rank
// holding part of a batch sees exactly the images one process holding the whole batch would.
PreparedBatch prepareBatch(const ImageStage &stage, const std::vector<Triplet> &triplets, std::size_t from,
                           std::size_t to, ImageCache &cache, Augmentation level, std::uint64_t batchSeed) {
  std::map<std::uint32_t, std::int64_t> slot;
  std::vector<torch::Tensor> images;
  auto indexOf = [&](std::uint32_t region) -> std::int64_t {
    const auto it = slot.find(region);
    if (it != slot.end()) return it->second;
    std::mt19937_64 rng(mix(batchSeed, region));
    const auto &paths = stage.imagesPerRegion[region];
    const std::string &path = paths[std::uniform_int_distribution<std::size_t>(0, paths.size() - 1)(rng)];
    torch::Tensor img = cache.get(path, stage.size);
    if (!img.defined()) throw std::runtime_error("cannot decode image '" + path + "' (" + stage.name + ")");
    images.push_back(augmented(img, stage.augment, level, rng));
    return slot[region] = static_cast<std::int64_t>(images.size() - 1);
  };
  PreparedBatch batch;
  for (std::size_t i = from; i < to; ++i) {
    batch.anchor.push_back(indexOf(triplets[i].anchor));
    batch.positive.push_back(indexOf(triplets[i].positive));
    batch.negative.push_back(indexOf(triplets[i].negative));
  }
  if (!images.empty()) batch.images = torch::stack(images).div_(255.0);
  return batch;
}

// One batch's forward and backward passes over this rank's triplets; returns their share of the
// batch loss (the mean over all the batch's triplets, on every rank together).
double batchPasses(ImageEncoder &encoder, const PreparedBatch &batch, std::size_t tripletsInBatch,
                   const ImageStage &stage, const Context &ctx, int epoch, int b) {
  const TrainingOptions &o = ctx.options;
  double batchLoss = 0;
  if (batch.anchor.empty()) return 0;
  const std::vector<EncoderPassPlan> passes =
      planEncoderPasses(batch.anchor, batch.positive, batch.negative, batch.images.size(0), o.imagesPerPass);
  for (const EncoderPassPlan &pass : passes) {
    const torch::Tensor images =
        passes.size() == 1 ? batch.images : batch.images.index_select(0, torch::tensor(pass.images, torch::kLong));
    const torch::Tensor embeddings = encoder->forward(images.to(ctx.device));
    auto pick = [&](const std::vector<std::int64_t> &rows) {
      return embeddings.index_select(0, torch::tensor(rows, torch::kLong).to(ctx.device));
    };
    const torch::Tensor loss = nn::tripletLoss(pick(pass.anchor), pick(pass.positive), pick(pass.negative),
                                               o.tripletDistance == TripletDistance::L2,
                                               o.tripletDistance == TripletDistance::L2 ? o.margin : o.cosineMargin);
    const double value = finiteLoss(loss, stage.name, epoch, b + 1);
    const double share = static_cast<double>(pass.anchor.size()) / static_cast<double>(tripletsInBatch);
    (loss * share).backward();
    batchLoss += value * share;
  }
  return batchLoss;
}

}  // namespace

torch::Tensor augmented(const torch::Tensor &chw, Augment kind, Augmentation level, std::mt19937_64 &rng) {
  torch::Tensor x = chw;
  if (level != Augmentation::None) switch (kind) {
      case Augment::Rotate90: {
        const int k = std::uniform_int_distribution<int>(0, 3)(rng);  // 0/90/180/270 degrees
        if (k != 0) x = torch::rot90(x, k, {1, 2});
        if (level == Augmentation::Full && std::bernoulli_distribution(0.5)(rng))
          x = x.flip({2});  // with rotations: all 8 symmetries
        break;
      }
      case Augment::HorizontalFlip:
        if (std::bernoulli_distribution(0.5)(rng)) x = x.flip({2});
        break;
      case Augment::None:
        break;
    }
  x = x.to(torch::kFloat32);
  if (level != Augmentation::Full) return x;
  x = randomResizedCrop(x, rng);
  const double brightness = 255.0 * std::uniform_real_distribution<double>(-0.15, 0.15)(rng);
  const double contrast = std::uniform_real_distribution<double>(0.85, 1.15)(rng);
  const torch::Tensor mean = x.mean();
  return ((x - mean) * contrast + mean + brightness).clamp_(0.0, 255.0);
}

torch::Tensor ImageCache::get(const std::string &path, int size) {
  const std::string key = path + '#' + std::to_string(size);
  const auto it = cache_.find(key);
  if (it != cache_.end()) return it->second;
  std::vector<std::uint8_t> bytes;
  if (!loader_ || !loader_(path, size, bytes) || bytes.size() != static_cast<std::size_t>(channels_) * size * size)
    return {};
  torch::Tensor t = torch::from_blob(bytes.data(), {channels_, size, size}, torch::kUInt8).clone();
  if (used_ + t.numel() <= budget_) {
    used_ += static_cast<std::size_t>(t.numel());
    cache_.emplace(key, t);
  }
  return t;
}

ImageStage remoteSensingStage(const RegionTable &table, int size) {
  ImageStage s{"remote sensing", {}, size, Augment::Rotate90};
  s.imagesPerRegion.resize(table.size());
  if (table.hasChips())
    for (std::size_t r = 0; r < table.size(); ++r)
      if (!table.remoteSensing.chipPaths[r].empty()) s.imagesPerRegion[r] = {table.remoteSensing.chipPaths[r]};
  return s;
}

ImageStage streetViewStage(const RegionTable &table, int size) {
  ImageStage s{"street view", {}, size, Augment::HorizontalFlip};
  s.imagesPerRegion.resize(table.size());
  if (table.hasStreetView()) s.imagesPerRegion = table.streetView.paths;
  return s;
}

std::vector<std::uint32_t> regionsWithImages(const ImageStage &stage) {
  std::vector<std::uint32_t> out;
  for (std::uint32_t r = 0; r < stage.imagesPerRegion.size(); ++r)
    if (!stage.imagesPerRegion[r].empty()) out.push_back(r);
  return out;
}

void trainImageEncoder(ImageEncoder &encoder, const ImageStage &stage, const TripletSampler &sampler, ImageCache &cache,
                       Context &ctx, std::uint64_t stageSeed) {
  const TrainingOptions &o = ctx.options;
  encoder->train();
  const DataParallel &parallel = ctx.dataParallel();
  // Same seed, same initial weights on every rank; the broadcast makes it so whatever the machine.
  std::vector<torch::Tensor> state = encoder->parameters();
  for (const torch::Tensor &b : floatingBuffers(*encoder)) state.push_back(b);
  {
    torch::NoGradGuard noGrad;
    parallel.broadcast(state, stage.name + " initial weights");
  }
  torch::optim::Adam optimizer(encoder->parameters(), torch::optim::AdamOptions(o.learningRate).amsgrad(true));
  std::mt19937_64 rng(stageSeed);
  for (int epoch = 1; epoch <= o.imageEpochs; ++epoch) {
    const auto started = std::chrono::steady_clock::now();
    const double lr = o.learningRate * std::pow(o.lrDecay, (epoch - 1) / std::max(1, o.lrStepEpochs));
    for (auto &group : optimizer.param_groups()) static_cast<torch::optim::AdamOptions &>(group.options()).lr(lr);
    std::vector<Triplet> triplets;
    for (int k = 0; k < std::max(1, o.tripletsPerAnchor); ++k) {
      const std::vector<Triplet> round = sampler.epoch(rng);
      triplets.insert(triplets.end(), round.begin(), round.end());
    }
    const std::size_t batchSize = static_cast<std::size_t>(std::max(1, o.batchSize));
    const int batches = static_cast<int>((triplets.size() + batchSize - 1) / batchSize);
    auto batchRange = [&](int b) {
      const std::size_t from = static_cast<std::size_t>(b) * batchSize;
      return std::make_pair(from, std::min(triplets.size(), from + batchSize));
    };
    // Each rank takes its contiguous part of every batch (all of it in one process).
    auto prepare = [&](int b) {
      const auto [from, to] = batchRange(b);
      const auto [first, last] = parallel.shard(from, to);
      return prepareBatch(stage, triplets, first, last, cache, o.augmentation, mix(stageSeed, mix(epoch, b)));
    };
    // Decode and augment the next batch while this one trains.
    std::future<PreparedBatch> next = std::async(std::launch::async, prepare, 0);
    double sum = 0;
    for (int b = 0; b < batches; ++b) {
      const std::string where = stage.name + " epoch " + std::to_string(epoch) + " batch " + std::to_string(b + 1);
      // A rank that fails (an undecodable image, a NaN loss) says so to the others before the
      // gradient sum, so that every rank stops with a reason instead of a broken connection.
      std::string failure;
      double batchLoss = 0;
      try {
        PreparedBatch batch = next.get();
        if (b + 1 < batches) next = std::async(std::launch::async, prepare, b + 1);
        // The batch loss is the mean over its triplets, so each pass's mean counts by its share of them.
        const auto [from, to] = batchRange(b);
        optimizer.zero_grad();
        batchLoss = batchPasses(encoder, batch, to - from, stage, ctx, epoch, b);
      } catch (const std::exception &e) {
        if (!parallel.active()) {
          if (next.valid()) next.wait();  // never leave a decoding thread behind
          throw;
        }
        failure = e.what();
      }
      try {
        batchLoss = parallel.sumUnlessFailed(batchLoss, failure, where);
        parallel.sumGradients(encoder->parameters(), where);
        optimizer.step();
        sum += batchLoss;
        ctx.report(stage.name, epoch, o.imageEpochs, b + 1, batches, sum / (b + 1));
      } catch (...) {
        if (next.valid()) next.wait();
        throw;
      }
    }
    // Batch-norm statistics saw only this rank's images: their mean over the ranks stands for all.
    parallel.averageTensors(floatingBuffers(*encoder),
                            stage.name + " epoch " + std::to_string(epoch) + " batch-norm statistics");
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    ctx.epochLog.push_back({stage.name, epoch, sum / std::max(1, batches), seconds});
    char line[160];
    std::snprintf(line, sizeof(line), "%s epoch %d/%d: triplet loss %.4f (%.1f s, lr %.2g)", stage.name.c_str(), epoch,
                  o.imageEpochs, sum / std::max(1, batches), seconds, lr);
    ctx.say(line);
  }
}

ViewVectors embedImages(ImageEncoder &encoder, const ImageStage &stage, ImageCache &cache, Context &ctx) {
  torch::NoGradGuard noGrad;
  encoder->eval();
  const std::size_t n = stage.imagesPerRegion.size();
  const int64_t d = encoder->projection->options.out_features();
  torch::Tensor out = torch::zeros({static_cast<int64_t>(n), d});
  std::vector<std::uint8_t> has(n, 0);
  std::vector<std::pair<std::size_t, std::string>> work;
  for (std::size_t r = 0; r < n; ++r) {
    const auto &paths = stage.imagesPerRegion[r];
    for (std::size_t k = 0; k < paths.size() && k < static_cast<std::size_t>(kMaxStreetViewImagesPerRegion); ++k)
      work.emplace_back(r, paths[k]);
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
      const torch::Tensor e =
          encoder->forward(torch::stack(images).to(torch::kFloat32).div_(255.0).to(ctx.device)).to(torch::kCPU);
      for (std::size_t j = 0; j < owners.size(); ++j) {
        out[static_cast<int64_t>(owners[j])] += e[static_cast<int64_t>(j)];
        ++counts[owners[j]];
      }
    }
    ctx.report("embedding " + stage.name, 1, 1, static_cast<int>(i / chunk) + 1,
               static_cast<int>((work.size() + chunk - 1) / chunk), 0);
  }
  for (std::size_t r = 0; r < n; ++r)
    if (counts[r] > 0) {
      out[static_cast<int64_t>(r)] /= counts[r];
      has[r] = 1;
    }
  return {out, has};
}

}  // namespace musecl::train
