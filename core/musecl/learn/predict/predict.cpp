#include "musecl/learn/predict/predict.h"

#include "musecl/learn/training.h"  // TorchThreadsLease

#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <random>
#include <stdexcept>

namespace musecl {

namespace {

using Rows = std::vector<std::vector<double>>;
using Index = std::vector<std::size_t>;

struct Standardizer {
  std::vector<double> mean, scale;
  void fit(const Rows &rows, const Index &idx) {
    const std::size_t d = rows.empty() ? 0 : rows[0].size();
    mean.assign(d, 0.0);
    scale.assign(d, 0.0);
    for (std::size_t i : idx)
      for (std::size_t j = 0; j < d; ++j) mean[j] += rows[i][j];
    for (double &m : mean) m /= std::max<std::size_t>(1, idx.size());
    for (std::size_t i : idx)
      for (std::size_t j = 0; j < d; ++j) scale[j] += (rows[i][j] - mean[j]) * (rows[i][j] - mean[j]);
    for (double &s : scale) s = std::sqrt(s / std::max<std::size_t>(1, idx.size()));
    for (double &s : scale) s = s > 1e-12 ? s : 1.0;  // constant column: centred only
  }
  std::vector<double> apply(const std::vector<double> &row) const {
    std::vector<double> out(row.size());
    for (std::size_t j = 0; j < row.size(); ++j) out[j] = (row[j] - mean[j]) / scale[j];
    return out;
  }
};

class Ridge {
 public:
  void fit(const Rows &x, const std::vector<double> &y, const Index &idx, double alpha) {
    standardizer_.fit(x, idx);
    const std::size_t d = x[0].size();
    intercept_ = 0;
    for (std::size_t i : idx) intercept_ += y[i];
    intercept_ /= idx.size();
    std::vector<double> z, t;
    z.reserve(idx.size() * d);
    for (std::size_t i : idx) {
      const std::vector<double> row = standardizer_.apply(x[i]);
      z.insert(z.end(), row.begin(), row.end());
      t.push_back(y[i] - intercept_);
    }
    const auto n = static_cast<std::int64_t>(idx.size()), dims = static_cast<std::int64_t>(d);
    const auto opts = torch::TensorOptions().dtype(torch::kFloat64);
    const torch::Tensor zt = torch::from_blob(z.data(), {n, dims}, opts);
    const torch::Tensor tt = torch::from_blob(t.data(), {n, 1}, opts);
    const torch::Tensor gram = zt.t().mm(zt) + alpha * torch::eye(dims, opts);
    // LAPACK's Cholesky; info > 0 means the penalised Gram matrix is not positive definite.
    const auto [factor, info] = torch::linalg_cholesky_ex(gram);
    if (info.item<std::int64_t>() != 0)
      throw std::runtime_error("the ridge system with penalty " + std::to_string(alpha) +
                               " is not positive definite (LAPACK's Cholesky stopped at column " +
                               std::to_string(info.item<std::int64_t>()) + ")");
    const torch::Tensor w = torch::cholesky_solve(zt.t().mm(tt), factor).contiguous();
    w_.assign(w.data_ptr<double>(), w.data_ptr<double>() + d);
  }
  double predict(const std::vector<double> &row) const {
    const std::vector<double> z = standardizer_.apply(row);
    return intercept_ + std::inner_product(z.begin(), z.end(), w_.begin(), 0.0);
  }

 private:
  Standardizer standardizer_;
  std::vector<double> w_;
  double intercept_ = 0;
};

// Half-decades from 1e-3 to 1e4: with a decade apart, wide inputs (embeddings of hundreds of
// values) often fell between the penalties that suit them (BENCHMARKS.md, "Ridge penalties").
std::vector<double> penaltyGrid() {
  std::vector<double> grid;
  for (int k = 0; k <= 14; ++k) grid.push_back(std::pow(10.0, -3.0 + 0.5 * k));
  return grid;
}

// The penalty with the lowest inner-fold error. `innerFold[k]` is the inner fold of idx[k] (0 to
// `folds` - 1); empty means 5 random folds. Spatial outer CV passes spatial inner folds: a penalty
// tuned to interpolate between neighbours is too weak for predicting a whole unseen area.
double chooseAlpha(const Rows &x, const std::vector<double> &y, Index idx, std::vector<int> innerFold, int folds,
                   std::mt19937_64 &rng) {
  if (idx.size() < 6) return 1.0;
  if (innerFold.empty()) {
    folds = 5;
    std::shuffle(idx.begin(), idx.end(), rng);
    for (std::size_t k = 0; k < idx.size(); ++k) innerFold.push_back(static_cast<int>(k % folds));
  }
  double best = 1.0, bestError = std::numeric_limits<double>::infinity();
  for (double alpha : penaltyGrid()) {
    double error = 0;
    for (int f = 0; f < folds; ++f) {
      Index train, test;
      for (std::size_t k = 0; k < idx.size(); ++k) (innerFold[k] == f ? test : train).push_back(idx[k]);
      if (train.size() < 2 || test.empty()) continue;
      Ridge r;
      r.fit(x, y, train, alpha);
      for (std::size_t i : test) error += (r.predict(x[i]) - y[i]) * (r.predict(x[i]) - y[i]);
    }
    if (error < bestError) {
      bestError = error;
      best = alpha;
    }
  }
  return best;
}

class Mlp {
 public:
  Mlp(const PredictOptions &o, std::uint64_t seed) : options_(o), seed_(seed) {}

  void fit(const Rows &x, const std::vector<double> &y, const Index &train, const Index &validation) {
    standardizer_.fit(x, train);
    yMean_ = 0;
    for (std::size_t i : train) yMean_ += y[i];
    yMean_ /= train.size();
    yScale_ = 0;
    for (std::size_t i : train) yScale_ += (y[i] - yMean_) * (y[i] - yMean_);
    yScale_ = std::sqrt(yScale_ / train.size());
    if (!(yScale_ > 1e-12)) yScale_ = 1.0;

    torch::manual_seed(seed_);
    net_ = torch::nn::Sequential();
    int64_t in = static_cast<int64_t>(x[0].size());
    for (int h : options_.mlpHidden) {
      net_->push_back(torch::nn::Linear(in, h));
      net_->push_back(torch::nn::ReLU());
      in = h;
    }
    net_->push_back(torch::nn::Linear(in, 1));
    const auto [xt, yt] = tensors(x, y, train);
    const auto [xv, yv] = tensors(x, y, validation);
    torch::optim::Adam optimizer(net_->parameters(), torch::optim::AdamOptions(options_.mlpLearningRate));
    double best = std::numeric_limits<double>::infinity();
    int since = 0;
    std::vector<torch::Tensor> bestState;
    for (int epoch = 0; epoch < options_.mlpMaxEpochs; ++epoch) {
      net_->train();
      const auto loss = torch::mse_loss(net_->forward(xt).squeeze(1), yt);
      optimizer.zero_grad();
      loss.backward();
      optimizer.step();
      double monitored;
      {
        torch::NoGradGuard g;
        net_->eval();
        monitored =
            validation.empty() ? loss.item<double>() : torch::mse_loss(net_->forward(xv).squeeze(1), yv).item<double>();
      }
      if (!std::isfinite(monitored))
        throw std::runtime_error("the MLP loss became " + std::to_string(monitored) + "; lower the learning rate");
      if (monitored < best - 1e-9) {
        best = monitored;
        since = 0;
        bestState.clear();
        for (const auto &p : net_->parameters()) bestState.push_back(p.detach().clone());
      } else if (++since >= options_.mlpPatience) {
        break;
      }
    }
    torch::NoGradGuard g;
    auto params = net_->parameters();
    for (std::size_t k = 0; k < params.size() && k < bestState.size(); ++k) params[k].copy_(bestState[k]);
    net_->eval();
  }

  double predict(const std::vector<double> &row) const {
    torch::NoGradGuard g;
    const std::vector<double> z = standardizer_.apply(row);
    const auto t = torch::tensor(std::vector<float>(z.begin(), z.end())).unsqueeze(0);
    return yMean_ + yScale_ * net_->forward(t).item<double>();
  }

 private:
  std::pair<torch::Tensor, torch::Tensor> tensors(const Rows &x, const std::vector<double> &y, const Index &idx) const {
    std::vector<float> xs, ys;
    for (std::size_t i : idx) {
      const std::vector<double> z = standardizer_.apply(x[i]);
      xs.insert(xs.end(), z.begin(), z.end());
      ys.push_back(static_cast<float>((y[i] - yMean_) / yScale_));
    }
    const auto n = static_cast<int64_t>(idx.size());
    return {torch::tensor(xs).view({n, static_cast<int64_t>(x[0].size())}), torch::tensor(ys)};
  }

  PredictOptions options_;
  std::uint64_t seed_;
  Standardizer standardizer_;
  double yMean_ = 0, yScale_ = 1;
  mutable torch::nn::Sequential net_{nullptr};
};

// Trains the chosen model on `train` (with `validation` for early stopping / alpha) and predicts rows.
struct Fitted {
  std::function<double(const std::vector<double> &)> predict;
};

// `coords` (region centroids) non-empty: tune ridge with spatially blocked inner folds.
Fitted fitModel(const Rows &x, const std::vector<double> &y, Index train, Index validation, const PredictOptions &o,
                std::uint64_t seed, const Rows &coords = {}) {
  std::mt19937_64 rng(seed);
  if (o.kind == PredictorKind::Ridge) {
    double alpha;
    if (!validation.empty()) {  // split mode: choose alpha on the validation part
      double bestError = std::numeric_limits<double>::infinity();
      alpha = 1.0;
      for (double a : penaltyGrid()) {
        Ridge r;
        r.fit(x, y, train, a);
        double e = 0;
        for (std::size_t i : validation) e += (r.predict(x[i]) - y[i]) * (r.predict(x[i]) - y[i]);
        if (e < bestError) bestError = e, alpha = a;
      }
    } else {
      std::vector<int> innerFold;
      if (!coords.empty() && train.size() >= 6) {
        Rows trainCoords;
        for (std::size_t i : train) trainCoords.push_back(coords[i]);
        innerFold = kMeans(trainCoords, 3, seed);
      }
      alpha = chooseAlpha(x, y, train, innerFold, 3, rng);
    }
    auto model = std::make_shared<Ridge>();
    model->fit(x, y, train, alpha);
    return {[model](const std::vector<double> &row) { return model->predict(row); }};
  }
  if (validation.empty()) {  // hold out 10 % of the training part for early stopping
    std::shuffle(train.begin(), train.end(), rng);
    const std::size_t v = std::max<std::size_t>(1, train.size() / 10);
    validation.assign(train.end() - static_cast<std::ptrdiff_t>(v), train.end());
    train.resize(train.size() - v);
  }
  auto model = std::make_shared<Mlp>(o, seed);
  model->fit(x, y, train, validation);
  return {[model](const std::vector<double> &row) { return model->predict(row); }};
}

}  // namespace

Metrics computeMetrics(const std::vector<double> &truth, const std::vector<double> &predicted) {
  Metrics m;
  m.n = static_cast<int>(truth.size());
  if (truth.empty()) return m;
  const double mean = std::accumulate(truth.begin(), truth.end(), 0.0) / truth.size();
  double ssRes = 0, ssTot = 0, abs = 0;
  for (std::size_t i = 0; i < truth.size(); ++i) {
    const double e = truth[i] - predicted[i];
    ssRes += e * e;
    abs += std::fabs(e);
    ssTot += (truth[i] - mean) * (truth[i] - mean);
  }
  m.r2 = ssTot > 0 ? 1.0 - ssRes / ssTot : 0.0;
  m.rmse = std::sqrt(ssRes / truth.size());
  m.mae = abs / truth.size();
  return m;
}

namespace {

// The feature width; std::invalid_argument for ragged, empty or non-finite features.
std::size_t checkFeatures(const PredictInput &in) {
  const std::size_t n = in.features.size();
  if (n == 0 || in.target.size() != n) throw std::invalid_argument("features and target differ in length or are empty");
  const std::size_t d = in.features[0].size();
  if (d == 0) throw std::invalid_argument("no feature columns");
  for (std::size_t i = 0; i < n; ++i) {
    if (in.features[i].size() != d) throw std::invalid_argument("feature rows differ in length");
    for (std::size_t j = 0; j < d; ++j)
      if (!std::isfinite(in.features[i][j]))
        throw std::invalid_argument("feature column " + std::to_string(j) + " of row " + std::to_string(i) +
                                    " is not a finite number");
  }
  return d;
}

// Counts (POIs, trips) are heavy-tailed: on their raw scale a held-out area with counts beyond the
// training range gets wild linear predictions. Only columns without negative values are
// transformed, so embeddings mixed in stay as they are.
Rows logNonNegativeColumns(const Rows &features, std::size_t d, std::vector<std::string> &notes) {
  Rows logged = features;
  const std::size_t n = features.size();
  std::size_t transformed = 0;
  for (std::size_t j = 0; j < d; ++j) {
    bool nonNegative = true;
    for (std::size_t i = 0; i < n && nonNegative; ++i) nonNegative = features[i][j] >= 0;
    if (!nonNegative) continue;
    for (std::size_t i = 0; i < n; ++i) logged[i][j] = std::log1p(features[i][j]);
    ++transformed;
  }
  notes.push_back("log1p applied to " + std::to_string(transformed) + " of " + std::to_string(d) +
                  " feature columns (those without negative values; the others are left as they are)");
  return logged;
}

// The modelled target (log1p when asked) of the labelled regions; NaN targets are unlabelled.
struct Targets {
  std::vector<double> y;
  Index labelled, unlabelled;
};

Targets modelledTargets(const std::vector<double> &target, const PredictOptions &o) {
  Targets t;
  t.y.assign(target.size(), std::numeric_limits<double>::quiet_NaN());
  for (std::size_t i = 0; i < target.size(); ++i) {
    const double v = target[i];
    if (std::isnan(v)) {
      t.unlabelled.push_back(i);
      continue;
    }
    if (o.logTarget && v < 0)
      throw std::invalid_argument("a log1p target needs values >= 0; row " + std::to_string(i) + " has " +
                                  std::to_string(v));
    t.y[i] = o.logTarget ? std::log1p(v) : v;
    t.labelled.push_back(i);
  }
  const std::size_t minimum =
      o.evaluation == Evaluation::Split602020 ? 10 : static_cast<std::size_t>(std::max(2, o.folds)) * 2;
  if (t.labelled.size() < minimum)
    throw std::invalid_argument("only " + std::to_string(t.labelled.size()) +
                                " regions have a target; this evaluation needs at least " + std::to_string(minimum));
  return t;
}

// What every evaluation shares: the features, targets and options, and the output.
struct Evaluating {
  const Rows &features;
  const Targets &targets;
  const PredictOptions &o;
  PredictResult &r;
  double back(double v) const { return o.logTarget ? std::expm1(v) : v; }
};

// 60/20/20: one model, metrics on the test part.
void evaluateSplit(const Evaluating &e, std::mt19937_64 &rng) {
  const Rows &features = e.features;
  PredictResult &r = e.r;
  Index shuffled = e.targets.labelled;
  std::shuffle(shuffled.begin(), shuffled.end(), rng);
  const std::size_t trainEnd = shuffled.size() * 6 / 10, validEnd = shuffled.size() * 8 / 10;
  Index train(shuffled.begin(), shuffled.begin() + static_cast<std::ptrdiff_t>(trainEnd));
  Index valid(shuffled.begin() + static_cast<std::ptrdiff_t>(trainEnd),
              shuffled.begin() + static_cast<std::ptrdiff_t>(validEnd));
  Index test(shuffled.begin() + static_cast<std::ptrdiff_t>(validEnd), shuffled.end());
  const Fitted model = fitModel(features, e.targets.y, train, valid, e.o, e.o.seed);
  for (std::size_t i : train) r.fold[i] = 0, r.prediction[i] = e.back(model.predict(features[i]));
  for (std::size_t i : valid) r.fold[i] = 1, r.prediction[i] = e.back(model.predict(features[i]));
  std::vector<double> truth, pred;
  for (std::size_t i : test) {
    const double p = model.predict(features[i]);
    r.fold[i] = 2;
    r.prediction[i] = e.back(p);
    truth.push_back(e.targets.y[i]);
    pred.push_back(p);
  }
  r.overall = computeMetrics(truth, pred);
  r.perFold.push_back(r.overall);
  r.notes.push_back("60/20/20 split: metrics on the " + std::to_string(test.size()) +
                    " test regions; fold 0 = train, 1 = validation, 2 = test");
  for (std::size_t i : e.targets.unlabelled) r.prediction[i] = e.back(model.predict(features[i]));
}

// Each labelled region's fold: k-means clusters of the centroids (spatial) or a shuffled round
// robin. Fills `coords` for spatial folds (ridge tunes its penalty on spatially blocked inner folds too).
std::vector<int> assignFolds(const PredictInput &in, const Evaluating &e, int folds, std::mt19937_64 &rng,
                             Rows &coords) {
  const std::size_t n = in.features.size();
  const Index &labelled = e.targets.labelled;
  std::vector<int> foldOf(n, -1);
  if (e.o.evaluation == Evaluation::SpatialKFold) {
    if (in.x.size() != n || in.y.size() != n)
      throw std::invalid_argument("spatially blocked folds need region coordinates");
    for (std::size_t i = 0; i < n; ++i) coords.push_back({in.x[i], in.y[i]});
    Rows labelledCoords;
    for (std::size_t i : labelled) labelledCoords.push_back({in.x[i], in.y[i]});
    const std::vector<int> cluster = kMeans(labelledCoords, folds, e.o.seed);
    for (std::size_t k = 0; k < labelled.size(); ++k) foldOf[labelled[k]] = cluster[k];
    e.r.notes.push_back("spatially blocked " + std::to_string(folds) +
                        "-fold CV: folds are k-means clusters of region centroids" +
                        std::string(e.o.kind == PredictorKind::Ridge
                                        ? "; the ridge penalty is tuned with spatially blocked inner folds too"
                                        : ""));
  } else {
    Index shuffled = labelled;
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    for (std::size_t k = 0; k < shuffled.size(); ++k)
      foldOf[shuffled[k]] = static_cast<int>(k % static_cast<std::size_t>(folds));
    e.r.notes.push_back("random " + std::to_string(folds) + "-fold CV");
  }
  return foldOf;
}

// k-fold cross-validation: out-of-fold predictions and metrics, then a model on every labelled
// region for the unlabelled ones.
void evaluateFolds(const PredictInput &in, const Evaluating &e, std::mt19937_64 &rng,
                   const std::function<bool(double)> &progress) {
  const Rows &features = e.features;
  const std::vector<double> &y = e.targets.y;
  PredictResult &r = e.r;
  const int folds = std::max(2, e.o.folds);
  Rows coords;
  const std::vector<int> foldOf = assignFolds(in, e, folds, rng, coords);
  std::vector<double> oofTruth, oofPred;
  for (int f = 0; f < folds; ++f) {
    Index train, test;
    for (std::size_t i : e.targets.labelled) (foldOf[i] == f ? test : train).push_back(i);
    if (test.empty() || train.size() < 2) continue;
    const Fitted model = fitModel(features, y, train, {}, e.o, e.o.seed + static_cast<std::uint64_t>(f) + 1, coords);
    std::vector<double> truth, pred;
    for (std::size_t i : test) {
      const double p = model.predict(features[i]);
      r.fold[i] = f;
      r.prediction[i] = e.back(p);
      truth.push_back(y[i]);
      pred.push_back(p);
      oofTruth.push_back(y[i]);
      oofPred.push_back(p);
    }
    r.perFold.push_back(computeMetrics(truth, pred));
    if (progress && !progress(static_cast<double>(f + 1) / (folds + 1)))
      throw std::runtime_error("cancelled during cross-validation");
  }
  r.overall = computeMetrics(oofTruth, oofPred);
  if (!e.targets.unlabelled.empty()) {
    const Fitted model = fitModel(features, y, e.targets.labelled, {}, e.o, e.o.seed, coords);
    for (std::size_t i : e.targets.unlabelled) r.prediction[i] = e.back(model.predict(features[i]));
  }
}

}  // namespace

PredictResult predictIndicator(const PredictInput &in, const PredictOptions &o,
                               const std::function<bool(double)> &progress) {
  const std::size_t d = checkFeatures(in);
  const std::size_t n = in.features.size();
  // The MLP and ridge's solves run on LibTorch: its thread count is this run's (THREADS), so that a
  // seed gives the same figures whatever ran before in the process.
  const TorchThreadsLease lease(
      o.threads, [&progress] { return !progress || progress(0.0); }, LogCallback());

  PredictResult r;
  const Rows logged = o.logFeatures ? logNonNegativeColumns(in.features, d, r.notes) : Rows();
  const Rows &features = o.logFeatures ? logged : in.features;
  r.prediction.assign(n, std::numeric_limits<double>::quiet_NaN());
  r.fold.assign(n, -1);
  const Targets targets = modelledTargets(in.target, o);
  std::mt19937_64 rng(o.seed);
  const Evaluating e{features, targets, o, r};
  if (o.evaluation == Evaluation::Split602020)
    evaluateSplit(e, rng);
  else
    evaluateFolds(in, e, rng, progress);
  if (!targets.unlabelled.empty())
    r.notes.push_back(std::to_string(targets.unlabelled.size()) +
                      " regions without a target were predicted by a model trained on all " +
                      std::to_string(targets.labelled.size()) + " others");
  if (progress) progress(1.0);
  if (o.kind == PredictorKind::Mlp)
    r.notes.push_back("MLP threads: " + lease.policy().describe());  // last: the report quotes the first note
  return r;
}

}  // namespace musecl
