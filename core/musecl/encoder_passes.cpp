#include "musecl/encoder_passes.h"

#include <algorithm>
#include <numeric>
#include <stdexcept>
#include <unordered_map>

namespace musecl {

std::vector<EncoderPassPlan> planEncoderPasses(const std::vector<std::int64_t> &anchor, const std::vector<std::int64_t> &positive,
                                               const std::vector<std::int64_t> &negative, std::int64_t batchImages, int imagesPerPass) {
  if (positive.size() != anchor.size() || negative.size() != anchor.size())
    throw std::invalid_argument("planEncoderPasses: anchor, positive and negative differ in length");
  if (imagesPerPass <= 0 || batchImages <= imagesPerPass) {
    EncoderPassPlan whole{std::vector<std::int64_t>(static_cast<std::size_t>(batchImages)), anchor, positive, negative};
    std::iota(whole.images.begin(), whole.images.end(), 0);
    return {whole};
  }
  const std::size_t limit = static_cast<std::size_t>(std::max(3, imagesPerPass));
  std::vector<EncoderPassPlan> passes;
  EncoderPassPlan current;
  std::unordered_map<std::int64_t, std::int64_t> local;
  auto localIndex = [&](std::int64_t image) {
    const auto it = local.find(image);
    if (it != local.end()) return it->second;
    current.images.push_back(image);
    return local[image] = static_cast<std::int64_t>(current.images.size() - 1);
  };
  for (std::size_t i = 0; i < anchor.size(); ++i) {
    const std::int64_t members[3] = {anchor[i], positive[i], negative[i]};
    std::size_t added = 0;
    for (int k = 0; k < 3; ++k) {
      bool seen = local.count(members[k]) > 0;
      for (int j = 0; j < k; ++j) seen = seen || members[j] == members[k];
      added += seen ? 0 : 1;
    }
    if (!current.anchor.empty() && current.images.size() + added > limit) {
      passes.push_back(std::move(current));
      current = EncoderPassPlan();
      local.clear();
    }
    current.anchor.push_back(localIndex(members[0]));
    current.positive.push_back(localIndex(members[1]));
    current.negative.push_back(localIndex(members[2]));
  }
  if (!current.anchor.empty()) passes.push_back(std::move(current));
  return passes;
}

}  // namespace musecl
