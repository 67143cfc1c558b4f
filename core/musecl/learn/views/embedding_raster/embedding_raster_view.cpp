// The embedding-raster view: see embedding_raster_view.h.
#include "musecl/learn/views/embedding_raster/embedding_raster_view.h"

#include <stdexcept>

namespace musecl::train {

ViewVectors embeddingRasterView(const RegionTable &table) {
  if (!table.hasEmbeddingRaster()) return {};
  std::size_t width = 0;
  for (const auto &row : table.embeddingRaster.stats)
    if (!row.empty()) {
      if (width != 0 && row.size() != width)
        throw std::invalid_argument("embedding-raster statistics have " + std::to_string(row.size()) + " and " +
                                    std::to_string(width) + " values in different regions");
      width = row.size();
    }
  if (width == 0) return {};
  ViewVectors view;
  const auto n = static_cast<int64_t>(table.size());
  view.values = torch::zeros({n, static_cast<int64_t>(width)});
  view.has.assign(table.size(), 0);
  for (std::size_t r = 0; r < table.size() && r < table.embeddingRaster.stats.size(); ++r) {
    const auto &row = table.embeddingRaster.stats[r];
    if (row.empty()) continue;
    view.values[static_cast<int64_t>(r)].copy_(torch::tensor(row));
    view.has[r] = 1;
  }
  return view;
}

namespace {

class EmbeddingRasterView final : public RegionView {
 public:
  EmbeddingRasterView() : RegionView(View::EmbeddingRaster) {}
  ViewVectors train(ViewRun &run, double &) override {
    const RegionTable &table = run.table;
    ViewVectors view = embeddingRasterView(table);
    if (view.defined())
      run.ctx.decide("embedding raster: mean and standard deviation of " + std::to_string(view.values.size(1) / 2) +
                     " band(s) in " + std::to_string(view.count()) + " of " + std::to_string(table.size()) +
                     " regions, fused as a view (it has no encoder of its own)");
    else if (table.hasEmbeddingRaster())
      run.ctx.decide("embedding raster: no region has a valid pixel in every band; not used");
    inModel_ = view.defined();
    return view;
  }
  bool inModel() const override { return inModel_; }
  bool given(const RegionTable &table) const override { return table.hasEmbeddingRaster(); }
  const char *inputs() const override { return "embedding raster"; }

  void countInputs(const RegionTable &table, std::vector<std::size_t> &counts) const override {
    countPerRegion(table.embeddingRaster.stats, table.size(), counts);
  }
  ViewVectors apply(ViewRun &run) override { return embeddingRasterView(run.table); }
  void describe(ModelInfo &info, const ViewVectors &trained) const override {
    info.embeddingRaster = trained.defined();
    info.embeddingRasterValues = trained.defined() ? static_cast<int>(trained.values.size(1)) : 0;
  }
  void load(torch::serialize::InputArchive &, ModelInfo &info) override { inModel_ = info.embeddingRaster; }

 private:
  bool inModel_ = false;
};

}  // namespace

std::unique_ptr<RegionView> makeEmbeddingRasterView() { return std::make_unique<EmbeddingRasterView>(); }

}  // namespace musecl::train
