// Shared pieces of the training stages: see context.h.
#include "musecl/learn/train/context.h"

#include "musecl/learn/train/data_parallel.h"
#include "musecl/learn/train/torch_runtime.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace musecl {

std::string RegionEmbeddings::viewsOf(std::size_t region) const {
  std::string s;
  for (int v = 0; v < kViewCount && static_cast<std::size_t>(v) < viewWeight.size(); ++v)
    if (region < viewWeight[static_cast<std::size_t>(v)].size() &&
        !std::isnan(viewWeight[static_cast<std::size_t>(v)][region]))
      s += (s.empty() ? "" : "+") + std::string(viewKey(v));
  return s;
}

namespace train {

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

std::string shortNumber(double v) {
  char text[32];
  std::snprintf(text, sizeof(text), "%g", v);
  return text;
}

torch::Tensor procrustes(const torch::Tensor &z, const torch::Tensor &reference) {
  const auto usv = at::linalg_svd(z.t().mm(reference), false);
  return std::get<0>(usv).mm(std::get<2>(usv)).contiguous();
}

std::uint64_t mix(std::uint64_t a, std::uint64_t b) {
  std::uint64_t z = a + 0x9E3779B97F4A7C15ULL * (b + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

torch::Device resolveDevice(DeviceChoice choice, std::string &description) {
  const bool cuda = torch::cuda::is_available();
  if (choice == DeviceChoice::Cuda && !cuda)
    throw std::runtime_error("CUDA was requested but is not available (this LibTorch " +
                             torchRuntimeInfo().torchVersion + " sees no CUDA device); use DEVICE=auto or cpu");
  const bool useCuda = choice == DeviceChoice::Cuda || (choice == DeviceChoice::Auto && cuda);
  description = useCuda ? "cuda:0" : "cpu";
  return useCuda ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU);
}

torch::Tensor readTensor(torch::serialize::InputArchive &archive, const std::string &key) {
  torch::Tensor t;
  archive.read(key, t);
  return t;
}

void validateTable(const RegionTable &t) {
  const std::size_t n = t.size();
  if (n == 0) throw std::invalid_argument("there are no regions");
  auto check = [&](std::size_t size, const char *what) {
    if (size != 0 && size != n)
      throw std::invalid_argument(std::string(what) + " has " + std::to_string(size) + " rows for " +
                                  std::to_string(n) + " regions");
  };
  check(t.poi.counts.size(), "the POI count table");
  check(t.poi.words.size(), "the POI word table");
  check(t.poi.categoryTokens.size(), "the POI category table");
  check(t.mobility.inflow.size(), "the inflow column");
  check(t.mobility.outflow.size(), "the outflow column");
  if (t.mobility.inflow.size() != t.mobility.outflow.size())
    throw std::invalid_argument("the inflow column has " + std::to_string(t.mobility.inflow.size()) +
                                " rows and the outflow column " + std::to_string(t.mobility.outflow.size()) +
                                "; give both or neither");
  check(t.mobility.internal.size(), "the internal-flow column");
  check(t.remoteSensing.chipPaths.size(), "the chip list");
  check(t.streetView.paths.size(), "the street-view list");
  check(t.embeddingRaster.stats.size(), "the embedding-raster table");
  check(t.sceneFeatures.stats.size(), "the scene-feature table");
  for (const auto &further : t.furtherSceneFeatures) {
    if (further.stats.size() != n || !further.encoder || !t.hasSceneFeatures())
      throw std::invalid_argument("a further training's scene features have " + std::to_string(further.stats.size()) +
                                  " rows" + (further.encoder ? "" : " and no encoder") + " for " + std::to_string(n) +
                                  " regions" + (t.hasSceneFeatures() ? "" : ", and the first training has none"));
    // The model keeps one scale for all its encoders, and a training without any valid row would
    // have no scene view of its own to store.
    if (further.scale != t.sceneFeatures.scale || further.contextMetres != t.sceneFeatures.contextMetres)
      throw std::invalid_argument("a further training's scene features are taken at another scale than the first's");
    if (std::all_of(further.stats.begin(), further.stats.end(), [](const auto &row) { return row.empty(); }))
      throw std::invalid_argument("a further training's scene features have no region with a valid pixel");
  }
  check(t.centroidX.size(), "the centroid list");
  check(t.areaSquareMetres.size(), "the area column");
  for (std::size_t r = 0; r < t.poi.counts.size(); ++r)
    if (t.poi.counts[r].size() != t.poi.categories.size())
      throw std::invalid_argument("region " + t.ids[r] + " has " + std::to_string(t.poi.counts[r].size()) +
                                  " POI counts for " + std::to_string(t.poi.categories.size()) + " categories");
  for (const auto &f : t.mobility.flows)
    if (f.origin >= n || f.destination >= n || !std::isfinite(f.weight) || f.weight < 0)
      throw std::invalid_argument("flow " + std::to_string(f.origin) + " -> " + std::to_string(f.destination) +
                                  " (weight " + std::to_string(f.weight) + ") does not join two of the " +
                                  std::to_string(n) + " regions with a weight >= 0");
  if (!t.mobility.flows.empty() && !t.hasMobility())
    throw std::invalid_argument("flows were given without inflow and outflow");
}

void Context::report(const std::string &stage, int epoch, int epochs, int batch, int batches, double loss) const {
  TrainingProgress p;
  p.stage = stage;
  p.epoch = epoch;
  p.epochs = epochs;
  p.batch = batch;
  p.batches = batches;
  p.loss = loss;
  const double within =
      epochs > 0 ? ((epoch - 1) + (batches > 0 ? static_cast<double>(batch) / batches : 1.0)) / epochs : 1.0;
  p.fraction = fractionFrom + (fractionTo - fractionFrom) * std::min(1.0, std::max(0.0, within));
  if (progress && !progress(p))
    throw TrainingCancelled("training cancelled during " + stage + ", epoch " + std::to_string(epoch));
  if (threads) followFreeCores(*threads, [this](const std::string &text) { say(text); });
}

const DataParallel &Context::dataParallel() const {
  static const DataParallel kOneProcess;
  return parallel ? *parallel : kOneProcess;
}

void Context::say(const std::string &text) const {
  if (log) log(text);
}

void Context::decide(const std::string &text) const {
  decisions.push_back(text);
  say(text);
}

std::size_t ViewVectors::count() const {
  std::size_t c = 0;
  for (auto h : has) c += h ? 1 : 0;
  return c;
}

}  // namespace train
}  // namespace musecl
