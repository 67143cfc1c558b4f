// Splitting a triplet batch into encoder passes that each hold at most a given number of distinct
// images. Training accumulates the passes' gradients, so memory is bounded by the pass, not the batch.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace musecl {

struct EncoderPassPlan {
  std::vector<std::int64_t> images;                      // indexes into the batch's images, each once
  std::vector<std::int64_t> anchor, positive, negative;  // indexes into `images`
  std::vector<std::size_t> triplets;                     // which of the batch's triplets these are
};

// Groups the triplets (indexes into the batch's images) into passes of at most `imagesPerPass`
// distinct images (at least 3, so that any triplet fits), each triplet in exactly one pass, triplets
// that share images together. imagesPerPass <= 0, or a batch that fits, gives one pass with the
// batch's own indexing.
std::vector<EncoderPassPlan> planEncoderPasses(const std::vector<std::int64_t> &anchor,
                                               const std::vector<std::int64_t> &positive,
                                               const std::vector<std::int64_t> &negative, std::int64_t batchImages,
                                               int imagesPerPass);

}  // namespace musecl
