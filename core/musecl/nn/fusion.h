// MuseCL's losses and attentive fusion as LibTorch code. Internal header: core translation units
// and tests include it (it pulls in LibTorch).
#pragma once

#include <torch/torch.h>

#include <limits>
#include <utility>

namespace musecl::nn {

// Attentive fusion (paper eqs. 8-10): alpha_m = c^T ReLU(M e_m + b), beta = softmax over the
// modalities a region has, e_image = sum beta_m e_m. The projections map the image and POI
// embeddings into one space for InfoNCE (eq. 11) when their sizes differ.
struct FusionImpl : torch::nn::Module {
  FusionImpl(int64_t embedding, int64_t hidden, int64_t word, int64_t shared)
      : attention(register_module("attention", torch::nn::Linear(embedding, hidden))),
        context(register_module("context", torch::nn::Linear(torch::nn::LinearOptions(hidden, 1).bias(false)))),
        imageProjection(register_module("image_projection", torch::nn::Linear(embedding, shared))),
        poiProjection(register_module("poi_projection", torch::nn::Linear(word, shared))) {}

  // e: [B, M, D], mask: [B, M] (true = available). Returns fused [B, D] and beta [B, M].
  std::pair<torch::Tensor, torch::Tensor> fuse(const torch::Tensor &e, const torch::Tensor &mask) {
    torch::Tensor alpha = context(torch::relu(attention(e))).squeeze(-1);
    alpha = alpha.masked_fill(mask.logical_not(), -std::numeric_limits<float>::infinity());
    torch::Tensor beta = torch::softmax(alpha, 1);
    beta = torch::where(mask.any(1, true), beta, torch::zeros_like(beta));  // no modality: no weights (not NaN)
    return {(beta.unsqueeze(-1) * e).sum(1), beta};
  }

  torch::nn::Linear attention, context, imageProjection, poiProjection;
};
TORCH_MODULE(Fusion);

// Triplet loss (paper eqs. 5-6). L2 form, as the reference training: MarginRankingLoss(d(a,n),
// d(a,p), y = 1) = max(0, d(a,p) - d(a,n) + margin). Cosine form: max(0, margin - cos(a,p) + cos(a,n)).
inline torch::Tensor tripletLoss(const torch::Tensor &a, const torch::Tensor &p, const torch::Tensor &n, bool l2, double margin) {
  namespace F = torch::nn::functional;
  if (l2) return torch::relu((a - p).norm(2, 1) - (a - n).norm(2, 1) + margin).mean();
  const auto cos = [](const torch::Tensor &x, const torch::Tensor &y) { return F::cosine_similarity(x, y, F::CosineSimilarityFuncOptions().dim(1)); };
  return torch::relu(margin - cos(a, p) + cos(a, n)).mean();
}

// InfoNCE (paper eq. 11): row i of `image` must pick row i of `poi` among the batch.
inline torch::Tensor infoNce(const torch::Tensor &image, const torch::Tensor &poi, double temperature) {
  namespace F = torch::nn::functional;
  const torch::Tensor logits = F::normalize(image, F::NormalizeFuncOptions().dim(1)).mm(F::normalize(poi, F::NormalizeFuncOptions().dim(1)).t()) / temperature;
  return F::cross_entropy(logits, torch::arange(image.size(0), torch::TensorOptions().dtype(torch::kLong).device(image.device())));
}

}  // namespace musecl::nn
