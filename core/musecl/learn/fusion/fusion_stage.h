// Fusion over every view a region has (paper eqs. 8-11, generalised from "two image views aligned
// to the POI vector" to any subset of remote sensing, street view, POI text and mobility).
//
// Rule for alignment: each view is aligned by InfoNCE to the attentive fusion of the region's
// *other* views. With the paper's two sides (fused images, POI text) this is exactly eq. 11 in both
// directions; with more views every view must be predictable from the rest, so what the views agree
// on about a region dominates the shared space. Each view is standardised (mean/std over the
// regions that have it) before its projection; the scaling is stored in the model so that another
// city's views are scaled as the training city's were.
//
// Flow term (beyond the paper): with OD flows and a mobility view, the fused vectors of each batch's
// regions must also reproduce the log trip counts among them, through a bilinear decoder used only
// in training (fusionFlowWeight; 0 = InfoNCE only). InfoNCE alone treats the flows as one view among
// equals and aligns whatever the views share; on Manhattan that diluted the flows, the strongest
// signal for crime and check-ins; the flow term raised ridge R^2 of the embedding by 0.04-0.07.
//
// Output: the fused vector, embeddingSize wide for every region whatever views it has (a missing
// view is masked out of the softmax), plus beta per view. With `withViews` the fused vector is
// followed by each of the model's views' projections (zeros where a region lacks the view): without
// the flow term the attention-weighted sum can dilute a strong view with weak ones, and ridge on top
// can then still use each view on its own. The automatic output (the default) takes the fused vector
// alone when the flow term trained it or the model has a single view, else the wider form; training
// logs which and why. Internal header (LibTorch).
#pragma once

#include "musecl/learn/nn/fusion.h"
#include "musecl/learn/train/context.h"

namespace musecl::train {

struct FusionModel {
  std::vector<int64_t> sizes = std::vector<int64_t>(kViewCount, 0);  // input size per view, 0: not in the model
  std::vector<std::vector<float>> mean = std::vector<std::vector<float>>(kViewCount), stdev = mean;
  int64_t shared = 0, hidden = 0;
  nn::Fusion fusion{nullptr};
  bool trained = false;
  bool withViews = false;  // output = [fused, projection of each model view]

  void save(torch::serialize::OutputArchive &archive) const;
  void load(torch::serialize::InputArchive &archive);
};

RegionEmbeddings trainFusion(const RegionTable &table, const ViewSet &views, Context &ctx, FusionModel &model,
                             std::uint64_t seed);
RegionEmbeddings applyFusion(const RegionTable &table, const ViewSet &views, FusionModel &model, Context &ctx);

}  // namespace musecl::train
