// The street-view view: see street_view_view.h.
#include "musecl/learn/views/street_view/street_view_view.h"

#include "musecl/learn/views/image/image_region_view.h"

namespace musecl::train {

namespace {

class StreetViewView final : public ImageRegionView {
 public:
  StreetViewView() : ImageRegionView(View::StreetView, "sv_encoder", 2) {}

  const char *inputs() const override { return "street-view images"; }

  void countInputs(const RegionTable &table, std::vector<std::size_t> &counts) const override {
    countPerRegion(table.streetView.paths, table.size(), counts);
    countSimilarityInputs(table, false, counts);
  }

  void describe(ModelInfo &info, const ViewVectors &trained) const override { info.streetView = trained.defined(); }

  void load(torch::serialize::InputArchive &archive, ModelInfo &info) override {
    if (info.streetView) loadEncoder(archive, info.streetViewBackbone, info.embeddingSize, info.streetViewSize);
  }

 protected:
  ImageStage stage(const RegionTable &table, int size) const override { return streetViewStage(table, size); }
  int trainingSize(const TrainingOptions &o) const override { return o.streetViewSize; }
  const std::string &backbone(const TrainingOptions &o) const override { return o.streetViewBackbone; }
  const std::string &pretrained(const TrainingOptions &o) const override { return o.streetViewPretrained; }
  int pretrainSteps(const TrainingOptions &o) const override { return o.streetViewPretrainSteps; }
  std::vector<std::vector<float>> similarity(const RegionTable &table, Context &ctx) const override {
    return tripletSimilarity(table, false, "street view", ctx);
  }
  std::string imagesSentence(const TrainingOptions &o) const override {
    return "with images (" + std::to_string(o.streetViewSize) + " px; one image drawn per region and batch)";
  }
  const char *basicAugmentation() const override { return "left-right mirroring"; }
  const char *fullAugmentation() const override { return "mirroring, "; }
};

}  // namespace

std::unique_ptr<RegionView> makeStreetViewView() { return std::make_unique<StreetViewView>(); }

}  // namespace musecl::train
