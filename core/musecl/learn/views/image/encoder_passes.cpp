#include "musecl/learn/views/image/encoder_passes.h"

#include <algorithm>
#include <numeric>
#include <stdexcept>
#include <unordered_map>

namespace musecl {

std::vector<EncoderPassPlan> planEncoderPasses(const std::vector<std::int64_t> &anchor,
                                               const std::vector<std::int64_t> &positive,
                                               const std::vector<std::int64_t> &negative, std::int64_t batchImages,
                                               int imagesPerPass) {
  const std::size_t count = anchor.size();
  if (positive.size() != count || negative.size() != count)
    throw std::invalid_argument("planEncoderPasses: anchor, positive and negative differ in length");
  if (imagesPerPass <= 0 || batchImages <= imagesPerPass) {
    EncoderPassPlan whole{std::vector<std::int64_t>(static_cast<std::size_t>(batchImages)), anchor, positive, negative,
                          std::vector<std::size_t>(count)};
    std::iota(whole.images.begin(), whole.images.end(), 0);
    std::iota(whole.triplets.begin(), whole.triplets.end(), 0);
    return {whole};
  }
  const std::size_t limit = static_cast<std::size_t>(std::max(3, imagesPerPass));
  std::vector<EncoderPassPlan> passes;
  EncoderPassPlan current;
  std::unordered_map<std::int64_t, std::int64_t> local;
  auto newImages = [&](std::size_t t) {
    const std::int64_t members[3] = {anchor[t], positive[t], negative[t]};
    std::size_t added = 0;
    for (int k = 0; k < 3; ++k) {
      bool seen = local.count(members[k]) > 0;
      for (int j = 0; j < k; ++j) seen = seen || members[j] == members[k];
      added += seen ? 0 : 1;
    }
    return added;
  };
  auto localIndex = [&](std::int64_t image) {
    const auto it = local.find(image);
    if (it != local.end()) return it->second;
    current.images.push_back(image);
    return local[image] = static_cast<std::int64_t>(current.images.size() - 1);
  };
  // Greedy: the next triplet is the one that adds the fewest images not yet in the pass (the earliest
  // on ties). Triplets that share regions land in one pass, so few regions are encoded twice.
  std::vector<std::size_t> remaining(count);
  std::iota(remaining.begin(), remaining.end(), 0);
  while (!remaining.empty()) {
    std::size_t best = 0, bestAdded = newImages(remaining[0]);
    for (std::size_t r = 1; r < remaining.size() && bestAdded > 0; ++r) {
      const std::size_t added = newImages(remaining[r]);
      if (added < bestAdded) best = r, bestAdded = added;
    }
    if (!current.triplets.empty() && current.images.size() + bestAdded > limit) {
      passes.push_back(std::move(current));
      current = EncoderPassPlan();
      local.clear();
      continue;  // with an empty pass, the earliest remaining triplet starts the next one
    }
    const std::size_t t = remaining[best];
    remaining.erase(remaining.begin() + static_cast<std::ptrdiff_t>(best));
    current.anchor.push_back(localIndex(anchor[t]));
    current.positive.push_back(localIndex(positive[t]));
    current.negative.push_back(localIndex(negative[t]));
    current.triplets.push_back(t);
  }
  if (!current.triplets.empty()) passes.push_back(std::move(current));
  return passes;
}

}  // namespace musecl
