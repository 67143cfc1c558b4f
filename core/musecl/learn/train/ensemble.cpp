// Seed ensembles of whole trainings: see ensemble.h.
#include "musecl/learn/train/ensemble.h"

#include <stdexcept>

namespace musecl::train {

std::uint64_t runSeed(std::uint64_t seed, int run) {
  return run == 0 ? seed : mix(seed, 1000 + static_cast<std::uint64_t>(run));
}

}  // namespace musecl::train

namespace musecl {

std::uint64_t trainingRunSeed(std::uint64_t seed, int run) { return train::runSeed(seed, run); }

}  // namespace musecl

namespace musecl::train {

ProgressCallback runProgress(const ProgressCallback &progress, int run, int runs) {
  if (!progress) return {};
  return [progress, run, runs](const TrainingProgress &p) {
    TrainingProgress scaled = p;
    scaled.fraction = (run + p.fraction) / runs;
    if (run > 0) scaled.stage = "training " + std::to_string(run + 1) + " of " + std::to_string(runs) + ", " + p.stage;
    return progress(scaled);
  };
}

torch::Tensor embeddingValues(const RegionEmbeddings &e) {
  return torch::tensor(e.values, torch::kFloat32).view({static_cast<std::int64_t>(e.ids.size()), e.dimension});
}

void addRotated(RegionEmbeddings &total, const RegionEmbeddings &run, const torch::Tensor &rotation) {
  if (run.dimension != total.dimension || run.ids.size() != total.ids.size() ||
      run.viewWeight.size() != total.viewWeight.size())
    throw std::runtime_error("the ensemble's trainings give embeddings of different shapes (" +
                             std::to_string(run.ids.size()) + " x " + std::to_string(run.dimension) + " against " +
                             std::to_string(total.ids.size()) + " x " + std::to_string(total.dimension) + ")");
  const torch::Tensor rotated = embeddingValues(run).mm(rotation.to(torch::kFloat32)).contiguous();
  const float *r = rotated.data_ptr<float>();
  for (std::size_t k = 0; k < total.values.size(); ++k) total.values[k] += r[k];
  for (std::size_t v = 0; v < total.viewWeight.size(); ++v)
    for (std::size_t k = 0; k < total.viewWeight[v].size(); ++k) total.viewWeight[v][k] += run.viewWeight[v][k];
}

void divideRuns(RegionEmbeddings &total, int runs) {
  for (float &value : total.values) value /= static_cast<float>(runs);
  for (auto &weights : total.viewWeight)
    for (float &w : weights) w /= static_cast<float>(runs);
}

}  // namespace musecl::train
