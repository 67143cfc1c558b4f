// Predicting an indicator from region features: MuseCL's downstream task. Regions whose target is
// NaN are predicted, never trained on.
//
// Models: ridge regression on standardised features (alpha chosen by inner 5-fold CV on the
// training part from half-decades 1e-3 ... 1e4; 3 spatially blocked inner folds under spatially blocked CV), and the
// paper's MLP (hidden 512-256-128-64, ReLU, Adam 5e-4, full batch, early stopping on a validation split). Evaluation:
// the paper's 60/20/20 split (metrics on the 20 % test part), random k-fold, or spatially blocked k-fold (folds are
// k-means clusters of the region centroids, so a fold is a contiguous area and neighbours cannot leak into the test).
// Metrics are pooled over out-of-fold predictions, on the modelling scale (log1p when LOG_TARGET).
#pragma once

#include "musecl/learn/predict/clustering.h"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace musecl {

enum class PredictorKind { Mlp, Ridge };
enum class Evaluation { Split602020, KFold, SpatialKFold };

struct PredictOptions {
  PredictorKind kind = PredictorKind::Mlp;
  Evaluation evaluation = Evaluation::KFold;
  int folds = 5;
  bool logTarget = true;
  bool logFeatures = false;  // log1p of every feature column that has no negative value
  std::uint64_t seed = 42;
  int mlpMaxEpochs = 1000;
  int mlpPatience = 50;
  double mlpLearningRate = 5e-4;
  std::vector<int> mlpHidden{512, 256, 128, 64};
  int threads = 0;
};

struct PredictInput {
  std::vector<std::vector<double>> features;  // [region][feature]
  std::vector<double> target;                 // NaN: unknown (to predict)
  std::vector<double> x, y;                   // centroids, for spatial folds
};

struct Metrics {
  double r2 = 0, rmse = 0, mae = 0;
  int n = 0;
};

struct PredictResult {
  std::vector<double> prediction;  // original scale; out-of-fold for labelled regions
  std::vector<int> fold;           // k-fold: 0..k-1; split: 0 train, 1 validation, 2 test; -1 unlabelled
  Metrics overall;                 // on the modelling scale
  std::vector<Metrics> perFold;
  std::vector<std::string> notes;
};

// Throws std::invalid_argument for too few labelled regions, non-finite features, or spatial folds
// without coordinates; progress(fraction) returns false to cancel (std::runtime_error then).
PredictResult predictIndicator(const PredictInput &input, const PredictOptions &options,
                               const std::function<bool(double)> &progress = {});

Metrics computeMetrics(const std::vector<double> &truth, const std::vector<double> &predicted);

}  // namespace musecl
