// The POI-semantics view: see poi_view.h.
#include "musecl/train/poi_view.h"

#include <algorithm>
#include <cmath>
#include <set>

namespace musecl::train {

ViewVectors poiView(const RegionTable &table, const SkipGram &words) {
  const auto n = static_cast<int64_t>(table.size());
  const int64_t d = words.dimension();
  torch::Tensor out = torch::zeros({n, d + kPoiScaleColumns});
  std::vector<std::uint8_t> has(table.size(), 0);
  std::vector<float> v;
  auto a = out.accessor<float, 2>();
  for (int64_t r = 0; r < n; ++r) {
    const auto i = static_cast<std::size_t>(r);
    const auto &tokens = table.poiCategoryTokens.empty() ? std::vector<std::string>() : table.poiCategoryTokens[i];
    if (!words.meanVector(tokens, v)) continue;
    for (int64_t k = 0; k < d; ++k) a[r][k] = v[static_cast<std::size_t>(k)];
    a[r][d] = static_cast<float>(std::log1p(static_cast<double>(tokens.size())));
    a[r][d + 1] = static_cast<float>(std::log1p(static_cast<double>(std::set<std::string>(tokens.begin(), tokens.end()).size())));
    has[i] = 1;
  }
  return {out, has};
}

ViewVectors trainPoiView(const RegionTable &table, Context &ctx, SkipGram &words, std::uint64_t seed) {
  const TrainingOptions &o = ctx.options;
  const bool hasText = std::any_of(table.poiWords.begin(), table.poiWords.end(), [](const auto &s) { return !s.empty(); });
  if (!hasText) {
    ctx.decide(table.hasPois() ? "POI text: the POIs have no category or text words; no POI view" : "POI text: no POIs given; no POI view");
    return {};
  }
  SkipGramOptions so;
  so.dimension = o.wordDimension;
  so.epochs = o.wordEpochs;
  so.window = o.wordWindow;
  so.seed = seed;
  words.train(table.poiWords, so, [&](int epoch, int epochs) {
    ctx.report("skip-gram", std::min(epoch + 1, epochs), epochs, 0, 0, 0);
    return true;
  });
  ViewVectors view = poiView(table, words);
  ctx.decide("POI text: skip-gram (hierarchical softmax) over " + std::to_string(words.vocabularySize()) + " words, " + std::to_string(o.wordDimension) +
             "-d; region vector = mean of its POI category words plus log POI count and log distinct categories (" + std::to_string(view.count()) + " of " +
             std::to_string(table.size()) + " regions have one)");
  return view;
}

}  // namespace musecl::train
