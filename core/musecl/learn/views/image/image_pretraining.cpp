// Self-supervised pretraining of an image encoder: see image_pretraining.h.
#include "musecl/learn/views/image/image_pretraining.h"

#include "musecl/learn/nn/fusion.h"
#include "musecl/learn/train/data_parallel.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <numeric>
#include <stdexcept>

namespace musecl::train {

namespace {

std::vector<std::string> everyImage(const ImageStage &stage) {
  std::vector<std::string> paths;
  for (const auto &region : stage.imagesPerRegion) paths.insert(paths.end(), region.begin(), region.end());
  std::sort(paths.begin(), paths.end());  // a photo listed for two regions is one photo
  paths.erase(std::unique(paths.begin(), paths.end()), paths.end());
  return paths;
}

// Two augmented copies of each of `count` photos drawn without replacement: [2 * count, C, S, S] in
// [0, 1], the first copies first. The copies are always fully augmented (mirroring, crops,
// jitter): telling a photo's copies apart from the other photos is the task.
torch::Tensor pairBatch(const std::vector<std::string> &paths, std::size_t count, const ImageStage &stage,
                        ImageCache &cache, std::mt19937_64 &rng) {
  std::vector<std::size_t> order(paths.size());
  std::iota(order.begin(), order.end(), 0);
  for (std::size_t i = 0; i < count; ++i)  // a partial Fisher-Yates shuffle: the first `count` are the draw
    std::swap(order[i], order[std::uniform_int_distribution<std::size_t>(i, order.size() - 1)(rng)]);
  std::vector<torch::Tensor> first, second;
  for (std::size_t i = 0; i < count; ++i) {
    const std::string &path = paths[order[i]];
    const torch::Tensor img = cache.get(path, stage.size);
    if (!img.defined()) throw std::runtime_error("cannot decode image '" + path + "' (" + stage.name + ")");
    first.push_back(augmented(img, stage.augment, Augmentation::Full, rng));
    second.push_back(augmented(img, stage.augment, Augmentation::Full, rng));
  }
  return torch::cat({torch::stack(first), torch::stack(second)}).div_(255.0);
}

// One step's loss and gradients with at most `perPass` images' activations held at once (0: all):
// the embeddings are first computed without a graph, the loss's gradient with respect to them is
// taken, and each pass is then encoded again and back-propagated with its share of that gradient.
// The sum equals the whole batch's gradient; only batch-norm statistics see the smaller passes.
double stepLoss(nn::ImageEncoder &encoder, const torch::Tensor &images, int perPass, double temperature,
                const std::string &name, int step) {
  const int64_t total = images.size(0), n = total / 2;
  const int64_t chunk = perPass > 0 ? std::min<int64_t>(perPass, total) : total;
  auto infoNce = [&](const torch::Tensor &z) {  // symmetric: each copy must pick its twin
    return 0.5 * (nn::infoNce(z.slice(0, 0, n), z.slice(0, n), temperature) +
                  nn::infoNce(z.slice(0, n), z.slice(0, 0, n), temperature));
  };
  if (chunk == total) {
    const torch::Tensor loss = infoNce(encoder->forward(images));
    const double value = finiteLoss(loss, name, 1, step);
    loss.backward();
    return value;
  }
  std::vector<torch::Tensor> parts;
  {
    torch::NoGradGuard noGrad;
    for (int64_t from = 0; from < total; from += chunk)
      parts.push_back(encoder->forward(images.slice(0, from, from + chunk)));
  }
  torch::Tensor z = torch::cat(parts).detach().requires_grad_(true);
  const torch::Tensor loss = infoNce(z);
  const double value = finiteLoss(loss, name, 1, step);
  loss.backward();
  const torch::Tensor dz = z.grad();
  for (int64_t from = 0; from < total; from += chunk)
    (encoder->forward(images.slice(0, from, from + chunk)) * dz.slice(0, from, from + chunk)).sum().backward();
  return value;
}

}  // namespace

void pretrainImageEncoder(nn::ImageEncoder &encoder, const ImageStage &stage, ImageCache &cache, Context &ctx,
                          std::uint64_t stageSeed, int steps, int pairs) {
  const std::vector<std::string> paths = everyImage(stage);
  if (steps <= 0 || paths.size() < 2) return;
  const DataParallel &parallel = ctx.dataParallel();
  const TrainingOptions &o = ctx.options;
  const std::size_t count = std::min(paths.size(), static_cast<std::size_t>(std::max(2, pairs)));
  const std::string name = stage.name + " pretraining";
  encoder->train();
  torch::optim::Adam optimizer(encoder->parameters(), torch::optim::AdamOptions(o.learningRate));
  std::mt19937_64 rng(mix(stageSeed, 0x5e1f));
  const auto started = std::chrono::steady_clock::now();
  double first = 0, last = 0, sum = 0;
  // Every rank runs every step alone (the triplet stage then broadcasts rank 0's weights); a rank
  // that fails says so to the others here, instead of leaving them waiting at that broadcast.
  std::string failure;
  try {
    for (int step = 1; step <= steps; ++step) {
      const torch::Tensor images = pairBatch(paths, count, stage, cache, rng).to(ctx.device);
      optimizer.zero_grad();
      const double value = stepLoss(encoder, images, o.imagesPerPass, o.infoNceTemperature, name, step);
      optimizer.step();
      if (step == 1) first = value;
      last = value;
      sum += value;
      ctx.report(name, 1, 1, step, steps, sum / step);
    }
  } catch (const TrainingCancelled &) {
    throw;
  } catch (const std::exception &e) {
    if (!parallel.active()) throw;
    failure = e.what();
  }
  parallel.sumUnlessFailed(0, failure, name);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  ctx.epochLog.push_back({name, 1, sum / steps, seconds});
  char line[320];
  std::snprintf(line, sizeof(line),
                "%s: %d steps of %zu photos, each against its own augmented copy among the others (InfoNCE; "
                "mirroring, resized crops and jitter whatever the triplets' augmentation), over all %zu photos: "
                "loss %.3f -> %.3f (%.1f s)",
                name.c_str(), steps, count, paths.size(), first, last, seconds);
  ctx.decide(line);
}

}  // namespace musecl::train
