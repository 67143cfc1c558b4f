// Splitting a triplet batch into encoder passes that each hold at most a given number of distinct
// images. Training accumulates the passes' gradients, so memory is bounded by the pass, not the batch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace musecl {

struct EncoderPassPlan {
  std::vector<std::int64_t> images;             // indexes into the batch's images, each once
  std::vector<std::int64_t> anchor, positive, negative;  // indexes into `images`
};

// Consecutive triplets (indexes into the batch's images) are grouped while their distinct images fit
// `imagesPerPass` (at least 3, so that any triplet fits). imagesPerPass <= 0, or a batch that fits,
// gives one pass with the batch's own indexing.
std::vector<EncoderPassPlan> planEncoderPasses(const std::vector<std::int64_t> &anchor, const std::vector<std::int64_t> &positive,
                                               const std::vector<std::int64_t> &negative, std::int64_t batchImages, int imagesPerPass);

}  // namespace musecl
