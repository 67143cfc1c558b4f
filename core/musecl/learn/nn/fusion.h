// MuseCL's losses and attentive fusion as LibTorch code. Internal header: core translation units
// and tests include it (it pulls in LibTorch).
#pragma once

#include <torch/torch.h>

#include <limits>
#include <string>
#include <utility>
#include <vector>

namespace musecl::nn {

// Attentive fusion (paper eqs. 8-10) over any set of views: each view v the model has is first
// projected into the shared space, p_v = W_v x_v + b_v (views differ in size: 128-d images, a 66-d
// POI vector, a 16-d mobility vector), then alpha_v = c^T ReLU(M p_v + b), beta = softmax over the
// views a region has, and the fused vector is sum beta_v p_v.
struct FusionImpl : torch::nn::Module {
  // viewSizes[v]: input size of view v, 0 for a view the model does not have.
  FusionImpl(const std::vector<int64_t> &viewSizes, int64_t shared, int64_t hidden)
      : attention(register_module("attention", torch::nn::Linear(shared, hidden))),
        context(register_module("context", torch::nn::Linear(torch::nn::LinearOptions(hidden, 1).bias(false)))),
        shared_(shared) {
    for (std::size_t v = 0; v < viewSizes.size(); ++v)
      projections.push_back(
          viewSizes[v] > 0 ? register_module("projection_" + std::to_string(v), torch::nn::Linear(viewSizes[v], shared))
                           : torch::nn::Linear(nullptr));
  }

  // views[v]: [B, d_v], undefined for a view the model lacks. Returns [B, V, shared], zeros there.
  torch::Tensor project(const std::vector<torch::Tensor> &views) {
    std::vector<torch::Tensor> parts;
    int64_t rows = 0;
    for (const auto &x : views)
      if (x.defined()) rows = x.size(0);
    for (std::size_t v = 0; v < projections.size(); ++v) {
      const bool have = !projections[v].is_empty() && v < views.size() && views[v].defined();
      parts.push_back(have ? projections[v]->forward(views[v])
                           : torch::zeros({rows, shared_}, attention->weight.options()));
    }
    return torch::stack(parts, 1);
  }

  // p: [B, M, D], mask: [B, M] (true = available). Returns fused [B, D] and beta [B, M].
  std::pair<torch::Tensor, torch::Tensor> fuse(const torch::Tensor &p, const torch::Tensor &mask) {
    torch::Tensor alpha = context(torch::relu(attention(p))).squeeze(-1);
    alpha = alpha.masked_fill(mask.logical_not(), -std::numeric_limits<float>::infinity());
    torch::Tensor beta = torch::softmax(alpha, 1);
    beta = torch::where(mask.any(1, true), beta, torch::zeros_like(beta));  // no view: no weights (not NaN)
    return {(beta.unsqueeze(-1) * p).sum(1), beta};
  }

  torch::nn::Linear attention, context;
  std::vector<torch::nn::Linear> projections;

 private:
  int64_t shared_;
};
TORCH_MODULE(Fusion);

// Triplet loss (paper eqs. 5-6). L2 form, as the reference training: MarginRankingLoss(d(a,n),
// d(a,p), y = 1) = max(0, d(a,p) - d(a,n) + margin). Cosine form: max(0, margin - cos(a,p) + cos(a,n)).
inline torch::Tensor tripletLoss(const torch::Tensor &a, const torch::Tensor &p, const torch::Tensor &n, bool l2,
                                 double margin) {
  namespace F = torch::nn::functional;
  if (l2) return torch::relu((a - p).norm(2, 1) - (a - n).norm(2, 1) + margin).mean();
  const auto cos = [](const torch::Tensor &x, const torch::Tensor &y) {
    return F::cosine_similarity(x, y, F::CosineSimilarityFuncOptions().dim(1));
  };
  return torch::relu(margin - cos(a, p) + cos(a, n)).mean();
}

// InfoNCE (paper eq. 11): row i of `image` must pick row i of `poi` among the batch.
inline torch::Tensor infoNce(const torch::Tensor &image, const torch::Tensor &poi, double temperature) {
  namespace F = torch::nn::functional;
  const torch::Tensor logits = F::normalize(image, F::NormalizeFuncOptions().dim(1))
                                   .mm(F::normalize(poi, F::NormalizeFuncOptions().dim(1)).t()) /
                               temperature;
  return F::cross_entropy(
      logits, torch::arange(image.size(0), torch::TensorOptions().dtype(torch::kLong).device(image.device())));
}

}  // namespace musecl::nn
