// The mobility view: region vectors learned from the flow graph itself, so that the taxi or
// commuter flows reach the embedding and not only the choice of triplets.
//
// Objective (the MVURE/HREP family): vectors whose bilinear scores reproduce the log trip counts
// between every pair of regions, log1p(w_ij) ~ s(z_i) . d(z_j) + b(z_i) + c(z_j). Unlike those
// models, which fit one free vector per region (and so cannot be applied to another city), z_i comes
// from an inductive encoder: region features (log volumes, log area, log POI counts) passed through
// two rounds of message passing along the flows, normalised per origin and per destination, with
// log1p weights. Its weights live in the model file, so musecl:embed applies it to any flow graph.
// The squared error on log counts (rather than MVURE's softmax over destinations) and a small
// output (16) were chosen by measurement on Manhattan; see BENCHMARKS.md. With a trip-volume weight
// (volume_term.h) a linear read-out of z_i must also give the region's trip totals on a raw scale,
// which log counts alone keep only as logarithms.
//
// Trip end points give no OD pairs: then the view is the region's standardised (log1p inflow,
// log1p outflow), a "volume" view, and the log says so. Internal header (LibTorch).
#pragma once

#include "musecl/learn/train/context.h"
#include "musecl/learn/views/view.h"

#include <memory>

#include <string>
#include <vector>

namespace musecl::train {

struct FlowGraphTensors {
  torch::Tensor origin, destination;  // [E] long
  torch::Tensor outWeight, inWeight;  // [E]: log1p(w) / sum over the origin's (destination's) flows
  torch::Tensor target;               // [E]: log1p(w)
  // The same normalised weights as dense [N, N] matrices (row i: region i's destinations, resp.
  // origins), for graphs small enough that two matrix products beat gathering E x width messages.
  torch::Tensor denseOut, denseIn;
};

// Observed log1p trip counts between ordered region pairs (0 where no flow): a dense [N, N] matrix
// up to 2048 regions, else the flows' pair keys (origin * N + destination) in sorted order, looked
// up by binary search on the targets' device, so that a GPU run does not wait for the CPU. The
// mobility view and the fusion's flow term both fit them.
struct PairTargets {
  bool dense = true;
  torch::Tensor matrix;        // [N, N] (dense)
  int64_t regions = 0;         // N
  torch::Tensor keys, counts;  // [E] sorted pair keys and their log1p counts (sparse)
  // Float counts for the pairs (origins[i], destinations[i]): long index tensors of one shape on the
  // targets' device; the result has that shape.
  torch::Tensor lookup(const torch::Tensor &origins, const torch::Tensor &destinations) const;
  // The [k, k] block of counts among `rows` (long, on the targets' device), in that order.
  torch::Tensor among(const torch::Tensor &rows) const;
};

struct MobilityEncoderImpl : torch::nn::Module {
  MobilityEncoderImpl(int64_t features, int64_t hidden, int64_t layers, int64_t out);
  torch::Tensor forward(const torch::Tensor &x, const FlowGraphTensors &graph);
  // Predicted log1p trip counts for pairs (rows of z): s(z_o) . d(z_d) + b(z_o) + c(z_d).
  torch::Tensor score(const torch::Tensor &zOrigin, const torch::Tensor &zDestination);
  torch::Tensor scoreAll(const torch::Tensor &z);  // [N, N]

  torch::nn::Linear input{nullptr}, output{nullptr}, source{nullptr}, destination{nullptr}, sourceBias{nullptr},
      destinationBias{nullptr};
  torch::nn::ModuleList layers{nullptr};
};
TORCH_MODULE(MobilityEncoder);

// Everything the view needs again at embedding time.
struct MobilityModel {
  std::string kind;                        // "graph" or "volume"
  std::vector<std::string> poiCategories;  // node-feature columns after the fixed ones
  std::vector<float> mean, stdev;          // node-feature standardisation (training regions)
  int hidden = 0, layers = 0, dimension = 0;
  // One or more encoders trained from different initial weights (TrainingOptions::mobilityRuns).
  // With `rotations` (one d x d orthogonal matrix per encoder), the view is the mean of the outputs
  // rotated onto the first encoder's (orthogonal Procrustes): a seed ensemble of the same width.
  // Without (files from before), the outputs are side by side.
  std::vector<MobilityEncoder> encoders;
  std::vector<torch::Tensor> rotations;

  void save(torch::serialize::OutputArchive &archive) const;
  void load(torch::serialize::InputArchive &archive);
};

// Trains the view on `table`'s flows (fills `model`) and returns every region's vector.
ViewVectors trainMobilityView(const RegionTable &table, Context &ctx, MobilityModel &model, std::uint64_t seed);
// Applies a trained view to another table's flows.
ViewVectors applyMobilityView(const RegionTable &table, MobilityModel &model, Context &ctx);

std::unique_ptr<RegionView> makeMobilityView();

// Raw node features: log1p inflow, outflow, internal; log area (0 when unknown); log1p POI total;
// then log1p count of each of `categories` (matched by name; absent categories count 0).
torch::Tensor mobilityNodeFeatures(const RegionTable &table, const std::vector<std::string> &categories);
FlowGraphTensors flowGraphTensors(const RegionTable &table, const torch::Device &device);
// Up to kDensePairsUpTo regions the mobility loss covers every ordered pair (N^2 scores); above,
// each epoch scores every flow plus as many random pairs (whose target is their own count, mostly
// 0). Tests lower `denseUpTo` to compare the two forms.
constexpr int64_t kDensePairsUpTo = 2048;
PairTargets pairTargets(const FlowGraphTensors &graph, int64_t regions, const torch::Device &device,
                        int64_t denseUpTo = kDensePairsUpTo);

}  // namespace musecl::train
