// The mobility view: see mobility_view.h.
#include "musecl/learn/views/mobility/mobility_view.h"

#include "musecl/learn/views/mobility/volume_term.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

namespace musecl::train {

namespace {

constexpr int kFixedFeatures = 5;  // log1p in, out, internal; log area; log1p POI total
constexpr double kLearningRate = 2e-3;

torch::Tensor standardised(const torch::Tensor &raw, const MobilityModel &m) {
  const torch::Tensor mean = torch::tensor(m.mean).unsqueeze(0);
  const torch::Tensor stdev = torch::tensor(m.stdev).unsqueeze(0);
  return (raw - mean) / stdev;
}

std::vector<std::uint8_t> regionsWithTrips(const RegionTable &t) {
  std::vector<std::uint8_t> has(t.size(), 0);
  for (std::size_t r = 0; r < t.size(); ++r) has[r] = t.mobility.inflow[r] + t.mobility.outflow[r] > 0 ? 1 : 0;
  return has;
}

// The volume view's raw features: log1p inflow and outflow per region.
torch::Tensor volumeFeatures(const RegionTable &t) {
  torch::Tensor raw = torch::zeros({static_cast<int64_t>(t.size()), 2});
  auto a = raw.accessor<float, 2>();
  for (std::size_t r = 0; r < t.size(); ++r) {
    a[static_cast<int64_t>(r)][0] = static_cast<float>(std::log1p(t.mobility.inflow[r]));
    a[static_cast<int64_t>(r)][1] = static_cast<float>(std::log1p(t.mobility.outflow[r]));
  }
  return raw;
}

// The graph view of standardised node features `x` on graph `g`: every encoder's output side by side.
// Each encoder's output on the CPU, in the encoders' order.
std::vector<torch::Tensor> encoderOutputs(MobilityModel &m, const torch::Tensor &x, const FlowGraphTensors &g,
                                          const torch::Device &device) {
  torch::NoGradGuard noGrad;
  std::vector<torch::Tensor> outputs;
  for (auto &encoder : m.encoders) {
    encoder->eval();
    encoder->to(device);
    outputs.push_back(encoder->forward(x, g).to(torch::kCPU));
    encoder->to(torch::kCPU);
  }
  return outputs;
}

// The view from the encoders' outputs: rotated and averaged when the model has rotations, else
// side by side (files from before the ensemble).
torch::Tensor combineOutputs(const MobilityModel &m, const std::vector<torch::Tensor> &outputs) {
  if (m.rotations.size() == outputs.size()) {
    torch::Tensor sum = torch::zeros_like(outputs[0]);
    for (std::size_t k = 0; k < outputs.size(); ++k) sum += outputs[k].mm(m.rotations[k]);
    return (sum / static_cast<double>(outputs.size())).contiguous();
  }
  return torch::cat(outputs, 1).contiguous();
}

torch::Tensor encodeAll(MobilityModel &m, const torch::Tensor &x, const FlowGraphTensors &g,
                        const torch::Device &device) {
  return combineOutputs(m, encoderOutputs(m, x, g, device));
}

void fitStandardisation(const torch::Tensor &raw, MobilityModel &m) {
  const torch::Tensor mean = raw.mean(0);
  const torch::Tensor stdev = raw.std(0, false).clamp_min(1e-6);
  m.mean.assign(mean.data_ptr<float>(), mean.data_ptr<float>() + mean.numel());
  m.stdev.assign(stdev.data_ptr<float>(), stdev.data_ptr<float>() + stdev.numel());
}

// Random ordered pairs with their observed log1p counts (0 where no flow), for large graphs. The
// pairs are drawn on the host (one seeded stream, whatever the device) and looked up on the device.
std::pair<torch::Tensor, torch::Tensor> randomPairs(const PairTargets &targets, std::int64_t count,
                                                    std::mt19937_64 &rng, const torch::Device &device) {
  std::uniform_int_distribution<std::int64_t> pick(0, targets.regions - 1);
  std::vector<std::int64_t> pairs(static_cast<std::size_t>(2 * count));
  for (auto &region : pairs) region = pick(rng);
  const torch::Tensor p = torch::tensor(pairs, torch::kLong).view({count, 2}).to(device);
  return {p, targets.lookup(p.select(1, 0), p.select(1, 1))};
}

// One encoder's full-graph training (cosine-decayed Adam). Progress counts the runs one after another.
void trainEncoder(MobilityEncoder &encoder, const torch::Tensor &x, const FlowGraphTensors &g,
                  const PairTargets &targets, VolumeTerm &volume, Context &ctx, std::uint64_t seed, int run, int runs) {
  encoder->to(ctx.device);
  std::vector<torch::Tensor> parameters = encoder->parameters();
  for (const torch::Tensor &q : volume.parameters()) parameters.push_back(q);
  torch::optim::Adam optimizer(parameters, torch::optim::AdamOptions(kLearningRate).weight_decay(1e-5));
  std::mt19937_64 rng(seed);
  encoder->train();
  const int epochs = std::max(0, ctx.options.mobilityEpochs);
  for (int epoch = 1; epoch <= epochs; ++epoch) {
    const auto started = std::chrono::steady_clock::now();
    // Cosine decay to zero: full-graph steps are noisy at a constant rate, and the last epochs
    // decide the vectors everything downstream sees.
    const double lr = kLearningRate * 0.5 * (1.0 + std::cos(M_PI * (epoch - 1) / std::max(1, epochs)));
    for (auto &group : optimizer.param_groups()) static_cast<torch::optim::AdamOptions &>(group.options()).lr(lr);
    const torch::Tensor z = encoder->forward(x, g);
    torch::Tensor loss;
    if (targets.dense) {
      loss = (encoder->scoreAll(z) - targets.matrix).pow(2).mean();
    } else {
      const auto [p, pairTarget] = randomPairs(targets, g.origin.numel(), rng, ctx.device);
      const torch::Tensor onEdges =
          encoder->score(z.index_select(0, g.origin), z.index_select(0, g.destination)) - g.target;
      const torch::Tensor onPairs =
          encoder->score(z.index_select(0, p.select(1, 0)), z.index_select(0, p.select(1, 1))) - pairTarget;
      loss = torch::cat({onEdges, onPairs}).pow(2).mean();
    }
    if (volume.on()) loss = loss + volume.loss(z);
    const int step = run * epochs + epoch;
    const double value = finiteLoss(loss, "mobility", step, 1);
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    ctx.epochLog.push_back({"mobility", step, value, seconds});
    ctx.report("mobility", step, runs * epochs, 1, 1, value);
  }
  encoder->to(torch::kCPU);
}

std::string volumeText(double weight) {
  if (!(weight > 0)) return " only (volume weight 0)";
  return " and, through a linear read-out, each region's trip totals on a linear scale (volume weight " +
         shortNumber(weight) + ")";
}

}  // namespace

MobilityEncoderImpl::MobilityEncoderImpl(int64_t features, int64_t hidden, int64_t layerCount, int64_t out)
    : input(register_module("input", torch::nn::Linear(features, hidden))),
      output(register_module("output", torch::nn::Linear(hidden, out))),
      source(register_module("source", torch::nn::Linear(out, out))),
      destination(register_module("destination", torch::nn::Linear(out, out))),
      sourceBias(register_module("source_bias", torch::nn::Linear(out, 1))),
      destinationBias(register_module("destination_bias", torch::nn::Linear(out, 1))),
      layers(register_module("layers", torch::nn::ModuleList())) {
  // Each round sees the region itself, the mean of where its trips go and of where its trips come from.
  for (int64_t l = 0; l < layerCount; ++l) layers->push_back(torch::nn::Linear(3 * hidden, hidden));
}

torch::Tensor MobilityEncoderImpl::forward(const torch::Tensor &x, const FlowGraphTensors &g) {
  torch::Tensor h = torch::relu(input(x));
  for (const auto &layer : *layers) {
    torch::Tensor toward = torch::zeros_like(h), from = torch::zeros_like(h);
    if (g.denseOut.defined()) {
      toward = g.denseOut.mm(h);
      from = g.denseIn.mm(h);
    } else if (g.origin.defined() && g.origin.numel() > 0) {
      toward = toward.index_add(0, g.origin, h.index_select(0, g.destination) * g.outWeight.unsqueeze(1));
      from = from.index_add(0, g.destination, h.index_select(0, g.origin) * g.inWeight.unsqueeze(1));
    }
    h = torch::relu(layer->as<torch::nn::Linear>()->forward(torch::cat({h, toward, from}, 1))) +
        h;  // residual: keeps the region's own features
  }
  return output(h);
}

torch::Tensor MobilityEncoderImpl::score(const torch::Tensor &zo, const torch::Tensor &zd) {
  return (source(zo) * destination(zd)).sum(1) + sourceBias(zo).squeeze(1) + destinationBias(zd).squeeze(1);
}

torch::Tensor MobilityEncoderImpl::scoreAll(const torch::Tensor &z) {
  return source(z).mm(destination(z).t()) + sourceBias(z) + destinationBias(z).t();
}

void MobilityModel::save(torch::serialize::OutputArchive &a) const {
  a.write("mobility.kind", c10::IValue(kind));
  c10::List<std::string> categories;
  for (const auto &c : poiCategories) categories.push_back(c);
  a.write("mobility.categories", c10::IValue(categories));
  a.write("mobility.mean", torch::tensor(mean));
  a.write("mobility.std", torch::tensor(stdev));
  a.write("mobility.shape", torch::tensor(std::vector<std::int64_t>{hidden, layers, dimension}, torch::kLong));
  a.write("mobility.runs",
          torch::tensor(std::vector<std::int64_t>{static_cast<std::int64_t>(encoders.size())}, torch::kLong));
  for (std::size_t k = 0; k < encoders.size(); ++k) {
    torch::serialize::OutputArchive sub;
    encoders[k]->save(sub);
    a.write("mobility.encoder_" + std::to_string(k), sub);
  }
  if (!rotations.empty()) {
    a.write("mobility.combine", c10::IValue(std::string("procrustes-mean")));
    for (std::size_t k = 0; k < rotations.size(); ++k) a.write("mobility.rotation_" + std::to_string(k), rotations[k]);
  }
}

void MobilityModel::load(torch::serialize::InputArchive &a) {
  c10::IValue v;
  a.read("mobility.kind", v);
  kind = v.toStringRef();
  a.read("mobility.categories", v);
  poiCategories.clear();
  for (const auto &c : v.toListRef()) poiCategories.push_back(c.toStringRef());
  torch::Tensor t;
  t = readTensor(a, "mobility.mean");
  mean.assign(t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
  t = readTensor(a, "mobility.std");
  stdev.assign(t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
  t = readTensor(a, "mobility.shape");
  t = t.to(torch::kLong);
  hidden = static_cast<int>(t[0].item<std::int64_t>());
  layers = static_cast<int>(t[1].item<std::int64_t>());
  dimension = static_cast<int>(t[2].item<std::int64_t>());
  const std::size_t expected = kind == "volume" ? 2 : kFixedFeatures + poiCategories.size();
  if (mean.size() != expected || stdev.size() != expected)
    throw std::runtime_error("the mobility view's feature scaling does not match its feature list");
  if (kind == "graph") {
    const std::int64_t runs = readTensor(a, "mobility.runs").to(torch::kLong)[0].item<std::int64_t>();
    if (runs < 1 || runs > 64) throw std::runtime_error("the mobility view has " + std::to_string(runs) + " encoders");
    encoders.clear();
    for (std::int64_t k = 0; k < runs; ++k) {
      encoders.emplace_back(static_cast<int64_t>(expected), hidden, layers, dimension);
      torch::serialize::InputArchive sub;
      a.read("mobility.encoder_" + std::to_string(k), sub);
      encoders.back()->load(sub);
    }
    rotations.clear();
    c10::IValue combine;
    if (a.try_read("mobility.combine", combine)) {
      if (combine.toStringRef() != "procrustes-mean")
        throw std::runtime_error("unknown mobility combination '" + combine.toStringRef() + "'");
      for (std::int64_t k = 0; k < runs; ++k) {
        rotations.push_back(readTensor(a, "mobility.rotation_" + std::to_string(k)));
        if (rotations.back().dim() != 2 || rotations.back().size(0) != dimension ||
            rotations.back().size(1) != dimension)
          throw std::runtime_error("the mobility view's rotation " + std::to_string(k) + " is not " +
                                   std::to_string(dimension) + " x " + std::to_string(dimension));
      }
    }
  } else if (kind != "volume") {
    throw std::runtime_error("unknown mobility view kind '" + kind + "'");
  }
}

torch::Tensor mobilityNodeFeatures(const RegionTable &t, const std::vector<std::string> &categories) {
  const auto n = static_cast<int64_t>(t.size());
  torch::Tensor x = torch::zeros({n, kFixedFeatures + static_cast<int64_t>(categories.size())});
  std::vector<int> column(t.poi.categories.size(), -1);  // the table's category -> feature column
  for (std::size_t c = 0; c < t.poi.categories.size(); ++c)
    for (std::size_t k = 0; k < categories.size(); ++k)
      if (categories[k] == t.poi.categories[c]) column[c] = kFixedFeatures + static_cast<int>(k);
  auto a = x.accessor<float, 2>();
  for (int64_t r = 0; r < n; ++r) {
    const auto i = static_cast<std::size_t>(r);
    a[r][0] = static_cast<float>(std::log1p(t.mobility.inflow[i]));
    a[r][1] = static_cast<float>(std::log1p(t.mobility.outflow[i]));
    a[r][2] = static_cast<float>(std::log1p(t.mobility.internal.empty() ? 0.0 : t.mobility.internal[i]));
    a[r][3] = t.areaSquareMetres.empty() || !(t.areaSquareMetres[i] > 0)
                  ? 0.0f
                  : static_cast<float>(std::log(t.areaSquareMetres[i]));
    double total = 0;
    if (t.hasPois())
      for (std::size_t c = 0; c < t.poi.counts[i].size(); ++c) {
        total += t.poi.counts[i][c];
        if (column[c] >= 0) a[r][column[c]] = static_cast<float>(std::log1p(t.poi.counts[i][c]));
      }
    a[r][4] = static_cast<float>(std::log1p(total));
  }
  return x;
}

FlowGraphTensors flowGraphTensors(const RegionTable &t, const torch::Device &device) {
  FlowGraphTensors g;
  std::vector<std::int64_t> origin, destination;
  std::vector<float> logWeight;
  std::vector<double> outSum(t.size(), 0.0), inSum(t.size(), 0.0);
  for (const auto &f : t.mobility.flows) {
    if (!(f.weight > 0)) continue;
    origin.push_back(f.origin);
    destination.push_back(f.destination);
    logWeight.push_back(static_cast<float>(std::log1p(f.weight)));
    outSum[f.origin] += logWeight.back();
    inSum[f.destination] += logWeight.back();
  }
  std::vector<float> outWeight(logWeight.size()), inWeight(logWeight.size());
  for (std::size_t e = 0; e < logWeight.size(); ++e) {
    outWeight[e] = static_cast<float>(logWeight[e] / outSum[static_cast<std::size_t>(origin[e])]);
    inWeight[e] = static_cast<float>(logWeight[e] / inSum[static_cast<std::size_t>(destination[e])]);
  }
  g.origin = torch::tensor(origin, torch::kLong).to(device);
  g.destination = torch::tensor(destination, torch::kLong).to(device);
  g.outWeight = torch::tensor(outWeight).to(device);
  g.inWeight = torch::tensor(inWeight).to(device);
  g.target = torch::tensor(logWeight).to(device);
  const auto n = static_cast<int64_t>(t.size());
  if (n <= kDensePairsUpTo) {
    g.denseOut = torch::zeros({n, n}, torch::TensorOptions().device(device));
    g.denseOut.index_put_({g.origin, g.destination}, g.outWeight);
    g.denseIn = torch::zeros({n, n}, torch::TensorOptions().device(device));
    g.denseIn.index_put_({g.destination, g.origin}, g.inWeight);
  }
  return g;
}

PairTargets pairTargets(const FlowGraphTensors &g, int64_t regions, const torch::Device &device, int64_t denseUpTo) {
  PairTargets targets;
  targets.regions = regions;
  targets.dense = regions <= denseUpTo;
  if (targets.dense) {
    targets.matrix = torch::zeros({regions, regions}, torch::TensorOptions().device(device));
    targets.matrix.index_put_({g.origin, g.destination}, g.target);
  } else {
    // The region table holds one flow per ordered pair, so the keys are unique.
    const auto [keys, order] = (g.origin * regions + g.destination).to(device).sort();
    targets.keys = keys.contiguous();
    targets.counts = g.target.to(device).index_select(0, order);
  }
  return targets;
}

torch::Tensor PairTargets::lookup(const torch::Tensor &origins, const torch::Tensor &destinations) const {
  if (dense) return matrix.index({origins, destinations});
  const torch::Tensor wanted = origins * regions + destinations;
  if (keys.numel() == 0) return torch::zeros(wanted.sizes(), torch::TensorOptions().device(wanted.device()));
  const torch::Tensor at = torch::searchsorted(keys, wanted).clamp_max(keys.numel() - 1).flatten();
  return torch::where(keys.index_select(0, at).view_as(wanted).eq(wanted), counts.index_select(0, at).view_as(wanted),
                      torch::zeros({}, counts.options()));
}

torch::Tensor PairTargets::among(const torch::Tensor &rows) const {
  if (dense) return matrix.index_select(0, rows).index_select(1, rows);
  const int64_t k = rows.numel();
  return lookup(rows.unsqueeze(1).expand({k, k}), rows.unsqueeze(0).expand({k, k}));
}

ViewVectors trainMobilityView(const RegionTable &t, Context &ctx, MobilityModel &m, std::uint64_t seed) {
  const TrainingOptions &o = ctx.options;
  if (!t.hasFlowGraph()) {
    m.kind = "volume";
    const torch::Tensor raw = volumeFeatures(t);
    fitStandardisation(raw, m);
    ctx.decide(
        "mobility: trip end points give no origin-destination pairs, so the mobility view is each region's standardised (log1p inflow, log1p outflow)");
    return {standardised(raw, m), regionsWithTrips(t)};
  }
  m.kind = "graph";
  m.poiCategories = t.poi.categories;
  m.hidden = o.mobilityHidden;
  m.layers = o.mobilityLayers;
  m.dimension = o.mobilityDimension;
  const torch::Tensor raw = mobilityNodeFeatures(t, m.poiCategories);
  fitStandardisation(raw, m);
  const torch::Tensor x = standardised(raw, m).to(ctx.device);
  const FlowGraphTensors g = flowGraphTensors(t, ctx.device);
  const auto n = static_cast<int64_t>(t.size());
  const PairTargets targets = pairTargets(g, n, ctx.device);
  m.encoders.clear();
  const int runs = std::max(1, o.mobilityRuns);
  for (int run = 0; run < runs; ++run) {
    torch::manual_seed(mix(seed, 10 + run));
    m.encoders.emplace_back(raw.size(1), m.hidden, m.layers, m.dimension);
    VolumeTerm volume(t, m.dimension, o.tripVolumeWeight, ctx.device);
    trainEncoder(m.encoders.back(), x, g, targets, volume, ctx, mix(seed, 20 + run), run, runs);
  }
  // A seed ensemble: every encoder's output rotated onto the first one's, then averaged. The first
  // gets the identity (an SVD of a rank-deficient z^T z need not give it).
  const std::vector<torch::Tensor> outputs = encoderOutputs(m, x, g, ctx.device);
  m.rotations.clear();
  if (runs > 1)
    for (const torch::Tensor &z : outputs)
      m.rotations.push_back(m.rotations.empty() ? torch::eye(z.size(1)) : procrustes(z, outputs.front()));
  ctx.decide(
      "mobility: graph encoder (" + std::to_string(m.layers) + " rounds of message passing along " +
      std::to_string(g.origin.numel()) + " origin-destination pairs, " + std::to_string(raw.size(1)) +
      " region features) trained to reproduce log trip counts" +
      (targets.dense ? " between all region pairs" : " on every flow and as many random pairs per epoch") +
      volumeText(o.tripVolumeWeight) + "; " +
      (runs == 1
           ? std::string("1 encoder")
           : std::to_string(runs) +
                 " encoders from different initial weights, rotated onto the first (orthogonal Procrustes) and averaged") +
      " (" + std::to_string(m.dimension) + "-d view)");
  return {combineOutputs(m, outputs),
          regionsWithTrips(t)};  // the trained encoders' outputs on the features and graph already built
}

ViewVectors applyMobilityView(const RegionTable &t, MobilityModel &m, Context &ctx) {
  if (m.kind == "volume") return {standardised(volumeFeatures(t), m), regionsWithTrips(t)};
  const torch::Tensor x = standardised(mobilityNodeFeatures(t, m.poiCategories), m).to(ctx.device);
  return {encodeAll(m, x, flowGraphTensors(t, ctx.device), ctx.device), regionsWithTrips(t)};
}

namespace {

class MobilityView final : public RegionView {
 public:
  MobilityView() : RegionView(View::Mobility) {}
  double lightShare() const override { return 0.35; }
  ViewVectors train(ViewRun &run, double &) override {
    const RegionTable &t = run.table;
    if (!t.hasMobility() ||
        std::none_of(t.mobility.inflow.begin(), t.mobility.inflow.end(), [](double v) { return v > 0; })) {
      run.ctx.decide(t.hasMobility() ? "mobility: every flow weight is 0; no mobility view"
                                     : "mobility: no flows given; no mobility view");
      return {};
    }
    ViewVectors view = trainMobilityView(t, run.ctx, model_, mix(run.ctx.options.seed, 5));
    inModel_ = view.defined();
    return view;
  }
  bool inModel() const override { return inModel_; }
  bool given(const RegionTable &table) const override { return table.hasMobility(); }
  const char *inputs() const override { return "flows"; }

  void countInputs(const RegionTable &table, std::vector<std::size_t> &counts) const override {
    counts.push_back(table.mobility.flows.size());
    counts.push_back(table.mobility.inflow.size());
    // Which regions have trips, not only how many values: a region without any is left out of the
    // view, and all of them without drops the view.
    if (table.hasMobility())
      for (const std::uint8_t has : regionsWithTrips(table)) counts.push_back(has);
  }
  ViewVectors apply(ViewRun &run) override { return applyMobilityView(run.table, model_, run.ctx); }
  void describe(ModelInfo &info, const ViewVectors &trained) const override {
    info.mobility = trained.defined();
    if (info.mobility) info.mobilityKind = model_.kind;
  }
  void save(torch::serialize::OutputArchive &archive) const override {
    if (inModel_) model_.save(archive);
  }
  void load(torch::serialize::InputArchive &archive, ModelInfo &info) override {
    inModel_ = info.mobility;
    if (!inModel_) return;
    model_.load(archive);
    info.mobilityKind = model_.kind;
  }

 private:
  MobilityModel model_;
  bool inModel_ = false;
};

}  // namespace

std::unique_ptr<RegionView> makeMobilityView() { return std::make_unique<MobilityView>(); }

}  // namespace musecl::train
