// Learning the scene encoder: see musecl/learn/scene_features.h for the objective.
#include "musecl/learn/scene_features.h"
#include "musecl/learn/train/context.h"
#include "musecl/learn/train/ensemble.h"
#include "musecl/learn/views/scene_features/scene_net.h"
#include "musecl/learn/views/scene_features/tile_pairs.h"

#include <sstream>
#include <stdexcept>

namespace musecl {

namespace {

using namespace train;

void checkOptions(const SceneFeatureOptions &o) {
  if (o.tileSize < 8 || o.tileSize % kSceneCellPixels != 0)
    throw std::invalid_argument("the tile size is " + std::to_string(o.tileSize) +
                                " px; it must be a multiple of 4, at least 8");
  if (o.features < 1 || o.features > 256)
    throw std::invalid_argument("the feature count is " + std::to_string(o.features) + "; it must be 1 to 256");
  if (o.steps < 1 || o.batchSize < 2 || !(o.learningRate > 0) || !(o.temperature > 0))
    throw std::invalid_argument("steps must be >= 1, the batch >= 2, the learning rate and temperature > 0");
  if (o.runs < 1 || o.runs > kMaxRuns)
    throw std::invalid_argument("runs is " + std::to_string(o.runs) + "; the scene encoders must be 1 to " +
                                std::to_string(kMaxRuns));
}

// Symmetric InfoNCE: each anchor's positive is its own neighbour, every other neighbour of the
// batch a negative, and the other way round.
torch::Tensor infoNce(const torch::Tensor &a, const torch::Tensor &b, double temperature) {
  const torch::Tensor za = torch::nn::functional::normalize(a, torch::nn::functional::NormalizeFuncOptions().dim(1));
  const torch::Tensor zb = torch::nn::functional::normalize(b, torch::nn::functional::NormalizeFuncOptions().dim(1));
  const torch::Tensor logits = za.matmul(zb.t()) / temperature;
  const torch::Tensor target = torch::arange(a.size(0), torch::TensorOptions().dtype(torch::kLong).device(a.device()));
  return 0.5 * (torch::nn::functional::cross_entropy(logits, target) +
                torch::nn::functional::cross_entropy(logits.t(), target));
}

// 2048 tiles of the scene, in chunks of 256, on `device`.
std::vector<torch::Tensor> sampledTiles(TileSampler &sampler, const torch::Device &device) {
  std::vector<torch::Tensor> chunks;
  for (int chunk = 0; chunk < 8; ++chunk) chunks.push_back(sampler.tiles(256).to(device));
  return chunks;
}

// An encoder's raw features of those tiles, [tiles, F] on the CPU.
torch::Tensor encodeTiles(const SceneEncoder::Impl &e, const std::vector<torch::Tensor> &chunks) {
  torch::NoGradGuard noGrad;
  e.net->eval();
  std::vector<torch::Tensor> parts;
  for (const torch::Tensor &tiles : chunks) parts.push_back(e.net->forward(tiles).cpu());
  return torch::cat(parts);
}

// The features' mean and principal axes over tiles of the scene (largest variance first, each
// axis signed so that its largest entry is positive: the same scene gives the same bands).
void principalAxes(SceneEncoder::Impl &e, TileSampler &sampler, const torch::Device &device) {
  const torch::Tensor f = encodeTiles(e, sampledTiles(sampler, device)).to(torch::kDouble);
  const torch::Tensor mean = f.mean(0);
  const torch::Tensor centred = f - mean;
  const torch::Tensor cov = centred.t().matmul(centred) / static_cast<double>(f.size(0) - 1);
  auto [values, vectors] = at::linalg_eigh(cov, "L");
  torch::Tensor axes = vectors.flip({1});  // eigh sorts ascending
  const torch::Tensor largest = axes.abs().argmax(0);
  const torch::Tensor signs = axes.gather(0, largest.unsqueeze(0)).sign().clamp_min(0) * 2 - 1;
  e.mean = mean.to(torch::kFloat);
  e.rotation = (axes * signs).to(torch::kFloat).contiguous();
}

// One encoder learned from `seed`, its features on their principal axes (left on `device`).
std::shared_ptr<SceneEncoder::Impl> learnEncoder(const SceneSource &scene, const SceneFeatureOptions &o,
                                                 std::uint64_t seed, const torch::Device &device,
                                                 const ProgressCallback &progress) {
  torch::manual_seed(seed);
  TileSampler sampler(scene, o.tileSize, mix(seed, 22));
  auto e = std::make_shared<SceneEncoder::Impl>();
  e->net = SceneNet(scene.channels(), o.features);
  torch::nn::Sequential head(torch::nn::Linear(o.features, 64), torch::nn::ReLU(true), torch::nn::Linear(64, 32));
  e->net->to(device);
  head->to(device);
  std::vector<torch::Tensor> parameters = e->net->parameters();
  for (const auto &p : head->parameters()) parameters.push_back(p);
  torch::optim::Adam optimiser(parameters, torch::optim::AdamOptions(o.learningRate).weight_decay(1e-5));
  e->net->train();
  double running = 0;
  for (int step = 1; step <= o.steps; ++step) {
    // Cosine decay to a tenth of the rate: the last steps refine rather than jump.
    const double rate = o.learningRate * (0.1 + 0.45 * (1 + std::cos(M_PI * (step - 1) / o.steps)));
    for (auto &group : optimiser.param_groups()) static_cast<torch::optim::AdamOptions &>(group.options()).lr(rate);
    const TilePairs pairs = sampler.pairs(o.batchSize);
    const torch::Tensor loss = infoNce(head->forward(e->net->forward(pairs.anchors.to(device))),
                                       head->forward(e->net->forward(pairs.neighbours.to(device))), o.temperature);
    optimiser.zero_grad();
    loss.backward();
    optimiser.step();
    const double value = finiteLoss(loss, "scene features", step, 1);
    running = step == 1 ? value : 0.9 * running + 0.1 * value;
    if (progress && !progress(TrainingProgress{"scene features", step, o.steps, 1, 1, running,
                                               0.95 * static_cast<double>(step) / o.steps}))
      throw TrainingCancelled("cancelled while learning scene features");
  }
  principalAxes(*e, sampler, device);
  return e;
}

// Turns each further encoder's bands onto the first's: orthogonal Procrustes between their
// projected features over the same tiles of the scene.
void alignEnsemble(SceneEncoder::Impl &e, const SceneSource &scene, const SceneFeatureOptions &o,
                   const torch::Device &device) {
  if (e.more.empty()) return;
  TileSampler sampler(scene, o.tileSize, mix(o.seed, 23));
  const std::vector<torch::Tensor> tiles = sampledTiles(sampler, device);
  const auto features = [&tiles](const SceneEncoder::Impl &m) {
    return m.project(encodeTiles(m, tiles)).to(torch::kDouble);
  };
  const torch::Tensor reference = features(e);
  for (const auto &m : e.more)
    m->rotation = m->rotation.mm(procrustes(features(*m), reference).to(torch::kFloat)).contiguous();
}

}  // namespace

SceneEncoder::SceneEncoder(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

const SceneEncoderInfo &SceneEncoder::info() const { return impl_->info; }

SceneEncoder SceneEncoder::train(const SceneSource &scene, const Radiometry &radiometry, const SceneFeatureOptions &o,
                                 const ProgressCallback &progress, const LogCallback &log) {
  checkOptions(o);
  std::string deviceName;
  const torch::Device device = resolveDevice(o.device, deviceName);
  TorchThreadsLease lease(
      o.threads,
      [&progress] {
        return !progress || progress(TrainingProgress{"waiting for another run", 0, 0, 0, 0, 0, 0});
      },
      log);
  SceneEncoderInfo info{scene.channels(), o.features, o.tileSize, radiometry, o.seed, {}};
  std::ostringstream summary;
  summary << o.features << " features from " << o.tileSize << " px tiles of " << scene.channels() << " channel(s), "
          << o.steps << " steps of " << o.batchSize << " pairs, seed " << o.seed;
  if (o.runs > 1) summary << ", the mean of " << o.runs << " encoders";
  info.summary = summary.str();
  if (log)
    log("Scene features: " + info.summary + " over the whole " + std::to_string(scene.width()) + " x " +
        std::to_string(scene.height()) + " pixel scene; device " + deviceName + ", threads " +
        lease.policy().describe());
  const std::shared_ptr<Impl> e = learnEncoder(scene, o, o.seed, device, runProgress(progress, 0, o.runs));
  e->info = info;
  for (int run = 1; run < o.runs; ++run) {
    e->more.push_back(learnEncoder(scene, o, runSeed(o.seed, run), device, runProgress(progress, run, o.runs)));
    e->more.back()->info = info;
  }
  alignEnsemble(*e, scene, o, device);
  forEachEncoder(*e, [](Impl &m) {
    m.net->to(torch::kCPU);
    m.mean = m.mean.cpu();
    m.rotation = m.rotation.cpu();
  });
  return SceneEncoder(e);
}

}  // namespace musecl
