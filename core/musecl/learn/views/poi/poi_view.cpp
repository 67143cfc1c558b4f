// The POI-semantics view: see poi_view.h.
#include "musecl/learn/views/poi/poi_view.h"

#include "musecl/learn/train/context.h"

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
    const auto &tokens = table.poi.categoryTokens.empty() ? std::vector<std::string>() : table.poi.categoryTokens[i];
    if (!words.meanVector(tokens, v)) continue;
    for (int64_t k = 0; k < d; ++k) a[r][k] = v[static_cast<std::size_t>(k)];
    a[r][d] = static_cast<float>(std::log1p(static_cast<double>(tokens.size())));
    a[r][d + 1] =
        static_cast<float>(std::log1p(static_cast<double>(std::set<std::string>(tokens.begin(), tokens.end()).size())));
    has[i] = 1;
  }
  return {out, has};
}

ViewVectors trainPoiView(const RegionTable &table, Context &ctx, SkipGram &words, std::uint64_t seed) {
  const TrainingOptions &o = ctx.options;
  const bool hasText =
      std::any_of(table.poi.words.begin(), table.poi.words.end(), [](const auto &s) { return !s.empty(); });
  if (!hasText) {
    ctx.decide(table.hasPois() ? "POI text: the POIs have no category or text words; no POI view"
                               : "POI text: no POIs given; no POI view");
    return {};
  }
  SkipGramOptions so;
  so.dimension = o.wordDimension;
  so.epochs = o.wordEpochs;
  so.window = o.wordWindow;
  so.seed = seed;
  words.train(table.poi.words, so, [&](int epoch, int epochs) {
    ctx.report("skip-gram", std::min(epoch + 1, epochs), epochs, 0, 0, 0);
    return true;
  });
  ViewVectors view = poiView(table, words);
  ctx.decide("POI text: skip-gram (hierarchical softmax) over " + std::to_string(words.vocabularySize()) + " words, " +
             std::to_string(o.wordDimension) +
             "-d; region vector = mean of its POI category words plus log POI count and log distinct categories (" +
             std::to_string(view.count()) + " of " + std::to_string(table.size()) + " regions have one)");
  return view;
}

namespace {

class PoiTextView final : public RegionView {
 public:
  PoiTextView() : RegionView(View::PoiText) {}
  double lightShare() const override { return 0.15; }
  ViewVectors train(ViewRun &run, double &) override {
    ViewVectors view = trainPoiView(run.table, run.ctx, words_, mix(run.ctx.options.seed, 3));
    trained_ = view.defined();
    return view;
  }
  bool inModel() const override { return trained_; }
  bool given(const RegionTable &table) const override { return !table.poi.categoryTokens.empty(); }
  const char *inputs() const override { return "POIs"; }

  void countInputs(const RegionTable &table, std::vector<std::size_t> &counts) const override {
    countPerRegion(table.poi.words, table.size(), counts);
    countPerRegion(table.poi.categoryTokens, table.size(), counts);
    counts.push_back(table.poi.categories.size());
  }
  ViewVectors apply(ViewRun &run) override { return poiView(run.table, words_); }
  void describe(ModelInfo &info, const ViewVectors &trained) const override { info.poiText = trained.defined(); }
  void save(torch::serialize::OutputArchive &archive) const override {
    if (!trained_) return;
    c10::List<std::string> vocabulary;
    for (const auto &w : words_.words()) vocabulary.push_back(w);
    archive.write("words.vocabulary", c10::IValue(vocabulary));
    std::vector<float> vectors = words_.vectors();
    archive.write("words.vectors",
                  torch::from_blob(vectors.data(), {static_cast<int64_t>(words_.vocabularySize()), words_.dimension()},
                                   torch::kFloat32)
                      .clone());
  }
  void load(torch::serialize::InputArchive &archive, ModelInfo &info) override {
    trained_ = info.poiText;
    if (!trained_) return;
    c10::IValue vocabulary;
    archive.read("words.vocabulary", vocabulary);
    torch::Tensor vectors;
    archive.read("words.vectors", vectors);
    std::vector<std::string> list;
    for (const auto &w : vocabulary.toListRef()) list.push_back(w.toStringRef());
    const torch::Tensor contiguous = vectors.contiguous();
    words_.restore(list,
                   std::vector<float>(contiguous.data_ptr<float>(), contiguous.data_ptr<float>() + contiguous.numel()),
                   static_cast<int>(vectors.size(1)));
    info.vocabularySize = list.size();
  }

 private:
  SkipGram words_;
  bool trained_ = false;
};

}  // namespace

std::unique_ptr<RegionView> makePoiTextView() { return std::make_unique<PoiTextView>(); }

}  // namespace musecl::train
