// Fusion over every view: see fusion_stage.h.
#include "musecl/learn/fusion/fusion_stage.h"

#include "musecl/learn/views/mobility/mobility_view.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>

namespace musecl::train {

namespace {

// Standardised inputs per view on `device` (undefined for views the model lacks) and the mask of
// which region has which view.
std::pair<std::vector<torch::Tensor>, torch::Tensor> fusionInputs(const ViewSet &views, const FusionModel &m,
                                                                  std::size_t n, const torch::Device &device) {
  std::vector<torch::Tensor> inputs(kViewCount);
  torch::Tensor mask = torch::zeros({static_cast<int64_t>(n), kViewCount}, torch::kBool);
  for (int v = 0; v < kViewCount; ++v) {
    if (m.sizes[static_cast<std::size_t>(v)] == 0 || !views[static_cast<std::size_t>(v)].defined()) continue;
    const ViewVectors &view = views[static_cast<std::size_t>(v)];
    if (view.values.size(1) != m.sizes[static_cast<std::size_t>(v)])
      throw std::runtime_error(std::string("the ") + viewName(v) + " view has " + std::to_string(view.values.size(1)) +
                               " values per region, the model " + std::to_string(m.sizes[static_cast<std::size_t>(v)]));
    const torch::Tensor mean = torch::tensor(m.mean[static_cast<std::size_t>(v)]).unsqueeze(0);
    const torch::Tensor stdev = torch::tensor(m.stdev[static_cast<std::size_t>(v)]).unsqueeze(0);
    inputs[static_cast<std::size_t>(v)] = ((view.values - mean) / stdev).to(device);
    mask.select(1, v).copy_(torch::tensor(std::vector<std::int64_t>(view.has.begin(), view.has.end())).gt(0));
  }
  return {inputs, mask.to(device)};
}

std::vector<torch::Tensor> rowsOf(const std::vector<torch::Tensor> &inputs, const torch::Tensor &idx) {
  std::vector<torch::Tensor> out;
  for (const auto &x : inputs) out.push_back(x.defined() ? x.index_select(0, idx) : torch::Tensor());
  return out;
}

// Mean over the views of InfoNCE(view, fusion of the region's other views), on the rows that have
// the view and at least one other; undefined when no view has two such rows.
torch::Tensor alignmentLoss(nn::Fusion &fusion, const torch::Tensor &p, const torch::Tensor &mask, double temperature) {
  torch::Tensor total;
  int terms = 0;
  for (int v = 0; v < kViewCount; ++v) {
    torch::Tensor others = mask.clone();
    others.select(1, v).fill_(false);
    const torch::Tensor rows = torch::nonzero(mask.select(1, v).logical_and(others.any(1))).squeeze(1);
    if (rows.numel() < 2) continue;
    const torch::Tensor rest = fusion->fuse(p.index_select(0, rows), others.index_select(0, rows)).first;
    const torch::Tensor term = nn::infoNce(p.index_select(0, rows).select(1, v), rest, temperature);
    total = terms == 0 ? term : total + term;
    ++terms;
  }
  return terms == 0 ? torch::Tensor() : total / terms;
}

// The fusion's flow term: predicted log1p trips from origin i to destination j are
// s(f_i) . d(f_j) + b(f_i) + c(f_j) on fused vectors, as the mobility view scores its own vectors.
// Used only while training, so it is not part of the model file.
struct FlowDecoderImpl : torch::nn::Module {
  explicit FlowDecoderImpl(int64_t width)
      : source(register_module("source", torch::nn::Linear(width, width))),
        destination(register_module("destination", torch::nn::Linear(width, width))),
        sourceBias(register_module("source_bias", torch::nn::Linear(width, 1))),
        destinationBias(register_module("destination_bias", torch::nn::Linear(width, 1))) {}
  torch::Tensor scoreAll(const torch::Tensor &f) {
    return source(f).mm(destination(f).t()) + sourceBias(f) + destinationBias(f).t();
  }
  torch::nn::Linear source, destination, sourceBias, destinationBias;
};
TORCH_MODULE(FlowDecoder);

// Squared error of the decoded log trip counts among the batch's regions (one [B, B] block of the
// OD matrix, so the cost does not grow with the city).
torch::Tensor flowLoss(FlowDecoder &decoder, const torch::Tensor &fused, const PairTargets &targets,
                       const torch::Tensor &idx) {
  return (decoder->scoreAll(fused) - targets.among(idx)).pow(2).mean();
}

std::string viewList(const FusionModel &m) {
  std::string s;
  for (int v = 0; v < kViewCount; ++v)
    if (m.sizes[static_cast<std::size_t>(v)] > 0) s += (s.empty() ? "" : ", ") + std::string(viewName(v));
  return s;
}

}  // namespace

void FusionModel::save(torch::serialize::OutputArchive &a) const {
  a.write("fusion.sizes", torch::tensor(sizes, torch::kLong));
  a.write("fusion.shape",
          torch::tensor(std::vector<int64_t>{shared, hidden, trained ? 1 : 0, withViews ? 1 : 0}, torch::kLong));
  for (int v = 0; v < kViewCount; ++v)
    if (sizes[static_cast<std::size_t>(v)] > 0) {
      a.write(std::string("fusion.mean_") + viewKey(v), torch::tensor(mean[static_cast<std::size_t>(v)]));
      a.write(std::string("fusion.std_") + viewKey(v), torch::tensor(stdev[static_cast<std::size_t>(v)]));
    }
  torch::serialize::OutputArchive sub;
  fusion->save(sub);
  a.write("fusion", sub);
}

void FusionModel::load(torch::serialize::InputArchive &a) {
  torch::Tensor t;
  t = readTensor(a, "fusion.sizes");
  t = t.to(torch::kLong).contiguous();
  // Models from before the embedding-raster view list 4 views; the views after them are absent.
  if (t.numel() < 4 || t.numel() > kViewCount)
    throw std::runtime_error("the fusion's view list has " + std::to_string(t.numel()) + " entries");
  sizes.assign(t.data_ptr<int64_t>(), t.data_ptr<int64_t>() + t.numel());
  sizes.resize(kViewCount, 0);
  t = readTensor(a, "fusion.shape");
  t = t.to(torch::kLong);
  shared = t[0].item<int64_t>();
  hidden = t[1].item<int64_t>();
  trained = t[2].item<int64_t>() != 0;
  withViews = t.numel() > 3 && t[3].item<int64_t>() != 0;  // files from before the option: fused vector only
  for (int v = 0; v < kViewCount; ++v)
    if (sizes[static_cast<std::size_t>(v)] > 0) {
      t = readTensor(a, std::string("fusion.mean_") + viewKey(v));
      mean[static_cast<std::size_t>(v)].assign(t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
      t = readTensor(a, std::string("fusion.std_") + viewKey(v));
      stdev[static_cast<std::size_t>(v)].assign(t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
      if (static_cast<int64_t>(mean[static_cast<std::size_t>(v)].size()) != sizes[static_cast<std::size_t>(v)] ||
          stdev[static_cast<std::size_t>(v)].size() != mean[static_cast<std::size_t>(v)].size())
        throw std::runtime_error(std::string("the ") + viewName(v) + " view's scaling does not match its size");
    }
  fusion = nn::Fusion(sizes, shared, hidden);
  torch::serialize::InputArchive sub;
  a.read("fusion", sub);
  fusion->load(sub);
}

namespace {

// Each view's standardisation, over the regions that have it.
void fitViewScaling(const ViewSet &views, FusionModel &m) {
  for (int v = 0; v < kViewCount; ++v) {
    const ViewVectors &view = views[static_cast<std::size_t>(v)];
    if (!view.defined() || view.count() == 0) continue;
    m.sizes[static_cast<std::size_t>(v)] = view.values.size(1);
    const torch::Tensor rows =
        torch::nonzero(torch::tensor(std::vector<std::int64_t>(view.has.begin(), view.has.end()))).squeeze(1);
    const torch::Tensor present = view.values.index_select(0, rows);
    const torch::Tensor mean = present.mean(0);
    const torch::Tensor stdev = rows.numel() > 1 ? present.std(0, false).clamp_min(1e-6) : torch::ones_like(mean);
    m.mean[static_cast<std::size_t>(v)].assign(mean.data_ptr<float>(), mean.data_ptr<float>() + mean.numel());
    m.stdev[static_cast<std::size_t>(v)].assign(stdev.data_ptr<float>(), stdev.data_ptr<float>() + stdev.numel());
  }
}

// The flow term's state: off (no decoder) unless the table has OD pairs, the model a mobility view
// and the weight is positive. `steps` counts the optimiser steps that used it, which is what the
// automatic output and the log go by.
struct FlowTerm {
  PairTargets targets;
  FlowDecoder decoder{nullptr};
  std::int64_t steps = 0;
  bool on() const { return !decoder.is_empty(); }
};

// A batch's loss: InfoNCE, plus the flow term when it is on (also when InfoNCE has no pair in this
// batch); undefined when there is nothing to learn from. No trip-volume term here: the mobility view
// brings the totals (views/mobility/volume_term.h). A read-out on the fused vector as well added a
// little in the published protocol on Manhattan and cost the synthetic city more (BENCHMARKS.md).
torch::Tensor batchLoss(FusionModel &m, FlowTerm &flow, const torch::Tensor &p, const torch::Tensor &mask,
                        const torch::Tensor &idx, const TrainingOptions &o) {
  const torch::Tensor loss = alignmentLoss(m.fusion, p, mask, o.infoNceTemperature);
  if (!flow.on()) return loss;
  const torch::Tensor term =
      o.fusionFlowWeight * flowLoss(flow.decoder, m.fusion->fuse(p, mask).first, flow.targets, idx);
  ++flow.steps;
  return loss.defined() ? loss + term : term;
}

FlowTerm makeFlowTerm(const RegionTable &table, const FusionModel &m, const TrainingOptions &o,
                      const torch::Device &device) {
  FlowTerm term;
  if (!(o.fusionFlowWeight > 0) || !table.hasFlowGraph() || m.sizes[static_cast<std::size_t>(View::Mobility)] == 0)
    return term;
  term.targets = pairTargets(flowGraphTensors(table, device), static_cast<int64_t>(table.size()), device);
  term.decoder = FlowDecoder(m.shared);
  term.decoder->to(device);
  return term;
}

int modelViewCount(const FusionModel &m) {
  return static_cast<int>(std::count_if(m.sizes.begin(), m.sizes.end(), [](int64_t size) { return size > 0; }));
}

// Whether the embedding follows the fused vector with each view's block: asked for, or automatic,
// the fusion was not trained with the flow term and the model has two or more views (with one,
// the fused vector is that view's projection and the block would repeat it).
bool outputWithViews(EmbeddingOutput output, const FlowTerm &flow, const FusionModel &m) {
  return output == EmbeddingOutput::FusedAndViews ||
         (output == EmbeddingOutput::Automatic && flow.steps == 0 && modelViewCount(m) > 1);
}

// Sets m.withViews and returns the log line saying what the embedding holds and, when chosen
// automatically, which of outputWithViews' conditions chose it.
std::string chooseOutput(FusionModel &m, EmbeddingOutput output, const FlowTerm &flow) {
  m.withViews = outputWithViews(output, flow, m);
  const std::string why =
      output != EmbeddingOutput::Automatic ? ""
      : m.withViews                        ? "; chosen automatically because no flow term trained the fusion"
      : flow.steps > 0                     ? "; chosen automatically because the flow term trained the fusion"
                       : "; chosen automatically because the model has one view and the fused vector is its projection";
  if (m.withViews)
    return "embedding: the fused vector followed by each view's projection, " +
           std::to_string(m.shared * (1 + modelViewCount(m))) +
           " values (zeros in the block of a view a region lacks)" + why;
  return "embedding: the fused vector, " + std::to_string(m.shared) + " values" + why;
}

std::string flowTermText(const FlowTerm &flow, double weight) {
  if (flow.steps > 0)
    return "; the fused vectors of each batch also reproduce the log trip counts among its regions (flow weight " +
           shortNumber(weight) + ")";
  if (flow.on()) return "; no flow term (no batch had two regions to compare)";
  return weight > 0 ? "; no flow term (it needs OD flows and a mobility view)" : "; no flow term (weight 0)";
}

}  // namespace

RegionEmbeddings trainFusion(const RegionTable &table, const ViewSet &views, Context &ctx, FusionModel &m,
                             std::uint64_t seed) {
  const TrainingOptions &o = ctx.options;
  fitViewScaling(views, m);
  m.shared = o.embeddingSize;
  m.hidden = o.fusionHidden;
  torch::manual_seed(seed);
  m.fusion = nn::Fusion(m.sizes, m.shared, m.hidden);
  m.fusion->to(ctx.device);
  const auto [inputs, mask] = fusionInputs(views, m, table.size(), ctx.device);
  const torch::Tensor alignable = torch::nonzero(mask.sum(1).ge(2)).squeeze(1).cpu().contiguous();
  std::vector<int64_t> aligned(alignable.data_ptr<int64_t>(), alignable.data_ptr<int64_t>() + alignable.numel());
  if (aligned.size() < 2 || o.fusionEpochs == 0) {
    ctx.decide("fusion: " + viewList(m) +
               (aligned.size() < 2 ? "; fewer than 2 regions have two views, so" : "; FUSION_EPOCHS=0, so") +
               " nothing is aligned: each view's projection keeps its seeded initial weights");
    ctx.decide(chooseOutput(m, o.embeddingOutput, FlowTerm{}));
    return applyFusion(table, views, m, ctx);
  }
  FlowTerm flow = makeFlowTerm(table, m, o, ctx.device);
  std::vector<torch::Tensor> parameters = m.fusion->parameters();
  if (flow.on())
    for (const auto &q : flow.decoder->parameters()) parameters.push_back(q);
  m.fusion->train();
  torch::optim::Adam optimizer(parameters, torch::optim::AdamOptions(o.learningRate * 2));
  std::mt19937_64 rng(mix(seed, 1));
  const std::size_t batch = static_cast<std::size_t>(std::max(2, o.batchSize));
  const int total = static_cast<int>((aligned.size() + batch - 1) / batch);
  for (int epoch = 1; epoch <= o.fusionEpochs; ++epoch) {
    const auto started = std::chrono::steady_clock::now();
    std::shuffle(aligned.begin(), aligned.end(), rng);
    double sum = 0;
    int batches = 0;
    for (std::size_t from = 0; from + 1 < aligned.size(); from += batch) {
      const std::size_t to = std::min(aligned.size(), from + batch);
      const torch::Tensor idx = torch::tensor(std::vector<int64_t>(aligned.begin() + static_cast<std::ptrdiff_t>(from),
                                                                   aligned.begin() + static_cast<std::ptrdiff_t>(to)),
                                              torch::kLong)
                                    .to(ctx.device);
      const torch::Tensor p = m.fusion->project(rowsOf(inputs, idx));
      const torch::Tensor loss = batchLoss(m, flow, p, mask.index_select(0, idx), idx, o);
      if (!loss.defined()) continue;
      sum += finiteLoss(loss, "fusion", epoch, batches + 1);
      optimizer.zero_grad();
      loss.backward();
      optimizer.step();
      ++batches;
      ctx.report("fusion", epoch, o.fusionEpochs, batches, total, sum / batches);
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    ctx.epochLog.push_back({"fusion", epoch, sum / std::max(1, batches), seconds});
    if (epoch == 1 || epoch == o.fusionEpochs || epoch % 10 == 0) {
      char line[128];
      std::snprintf(line, sizeof(line), "fusion epoch %d/%d: InfoNCE%s loss %.4f", epoch, o.fusionEpochs,
                    flow.on() ? " + flow" : "", sum / std::max(1, batches));
      ctx.say(line);
    }
  }
  m.trained = true;
  ctx.decide("fusion: attention over " + viewList(m) +
             "; each view aligned by InfoNCE to the fusion of the region's other views, on " +
             std::to_string(aligned.size()) + " regions with two or more views" +
             flowTermText(flow, o.fusionFlowWeight));
  ctx.decide(chooseOutput(m, o.embeddingOutput, flow));
  return applyFusion(table, views, m, ctx);
}

RegionEmbeddings applyFusion(const RegionTable &table, const ViewSet &views, FusionModel &m, Context &ctx) {
  torch::NoGradGuard noGrad;
  m.fusion->eval();
  m.fusion->to(ctx.device);
  const std::size_t n = table.size();
  const auto [inputs, maskOnDevice] = fusionInputs(views, m, n, ctx.device);
  const torch::Tensor projected = m.fusion->project(inputs);
  const auto [fusedOnDevice, betaOnDevice] = m.fusion->fuse(projected, maskOnDevice);
  torch::Tensor output = fusedOnDevice;
  if (m.withViews) {
    std::vector<torch::Tensor> parts{fusedOnDevice};
    for (int v = 0; v < kViewCount; ++v)
      if (m.sizes[static_cast<std::size_t>(v)] > 0)
        parts.push_back(projected.select(1, v) * maskOnDevice.select(1, v).unsqueeze(1).to(projected.scalar_type()));
    output = torch::cat(parts, 1);
  }
  const torch::Tensor fused = output.cpu().contiguous(), beta = betaOnDevice.cpu().contiguous();
  const torch::Tensor mask = maskOnDevice.cpu().contiguous();
  m.fusion->to(torch::kCPU);
  RegionEmbeddings out;
  out.ids = table.ids;
  out.dimension = static_cast<int>(fused.size(1));
  out.values.assign(fused.data_ptr<float>(), fused.data_ptr<float>() + fused.numel());
  out.viewWeight.assign(kViewCount, std::vector<float>(n, std::numeric_limits<float>::quiet_NaN()));
  out.hasEmbedding.assign(n, 0);
  for (int v = 0; v < kViewCount; ++v)
    out.modelViews[static_cast<std::size_t>(v)] = m.sizes[static_cast<std::size_t>(v)] > 0;
  const auto b = beta.accessor<float, 2>();
  const auto k = mask.accessor<bool, 2>();
  for (std::size_t r = 0; r < n; ++r)
    for (int v = 0; v < kViewCount; ++v)
      if (k[static_cast<int64_t>(r)][v]) {
        out.viewWeight[static_cast<std::size_t>(v)][r] = b[static_cast<int64_t>(r)][v];
        out.hasEmbedding[r] = 1;
      }
  return out;
}

}  // namespace musecl::train
