// The remote-sensing view: see remote_sensing_view.h.
#include "musecl/learn/views/remote_sensing/remote_sensing_view.h"

#include "musecl/learn/views/image/image_region_view.h"

namespace musecl::train {

namespace {

class RemoteSensingView final : public ImageRegionView {
 public:
  RemoteSensingView() : ImageRegionView(View::RemoteSensing, "rs_encoder", 1) {}

  const char *inputs() const override { return "raster chips"; }

  void countInputs(const RegionTable &table, std::vector<std::size_t> &counts) const override {
    // Whether a region has a chip, not its path: paths name each rank's own temporary folder.
    const auto &chips = table.remoteSensing.chipPaths;
    for (std::size_t r = 0; r < table.size(); ++r) counts.push_back(r < chips.size() && !chips[r].empty());
    counts.push_back(table.remoteSensing.radiometry.channels.size());  // the encoder's input channels
    countSimilarityInputs(table, true, counts);
  }

  ViewVectors train(ViewRun &run, double &cursor) override {
    // Without a chip loader the chips go through the generic loader's per-chip stretch.
    radiometry_ = run.loadChip ? run.table.remoteSensing.radiometry : Radiometry{};
    if (heavyShare(run) > 0)
      run.ctx.decide(radiometry_.defined()
                         ? "remote sensing: chips scaled per raster, not per chip: " + radiometry_.describe()
                         : "remote sensing: each chip stretched on its own (no raster radiometry given)");
    return ImageRegionView::train(run, cursor);
  }

  void checkApplicable(const ViewRun &run) const override {
    if (encoder_->inChannels() != 3 && !(run.loadChip && radiometry_.defined()))
      throw std::invalid_argument("the model's remote-sensing encoder takes " + std::to_string(encoder_->inChannels()) +
                                  " bands, but no raster chip loader was given");
    if (radiometry_.defined() && run.table.hasChips())
      run.ctx.decide("remote sensing: chips scaled with the model's radiometry: " + radiometry_.describe());
  }

  void describe(ModelInfo &info, const ViewVectors &trained) const override {
    info.remoteSensing = trained.defined();
    if (info.remoteSensing) info.radiometry = radiometry_;
  }

  void load(torch::serialize::InputArchive &archive, ModelInfo &info) override {
    radiometry_ = info.radiometry;
    if (info.remoteSensing) loadEncoder(archive, info.remoteSensingBackbone, info.embeddingSize, info.chipSize);
  }

 protected:
  ImageStage stage(const RegionTable &table, int size) const override { return remoteSensingStage(table, size); }
  int trainingSize(const TrainingOptions &o) const override { return o.chipSize; }
  const std::string &backbone(const TrainingOptions &o) const override { return o.remoteSensingBackbone; }
  const std::string &pretrained(const TrainingOptions &o) const override { return o.remoteSensingPretrained; }
  ImageLoader loader(const ViewRun &run) const override {
    if (!run.loadChip || !radiometry_.defined()) return run.loadImage;
    return [loadChip = run.loadChip, radiometry = radiometry_](const std::string &path, int size,
                                                               std::vector<std::uint8_t> &chw) {
      return loadChip(path, size, radiometry, chw);
    };
  }
  // With a raster radiometry the chips have one channel per chosen band (3, or N for RS_ALL_BANDS).
  int channels(const ViewRun &run) const override {
    return radiometry_.defined() && run.loadChip ? static_cast<int>(radiometry_.channels.size()) : 3;
  }
  std::vector<std::vector<float>> similarity(const RegionTable &table, Context &ctx) const override {
    return tripletSimilarity(table, true, "remote sensing", ctx);
  }
  std::string imagesSentence(const TrainingOptions &o) const override {
    return "with a chip (" + std::to_string(o.chipSize) + " px)";
  }
  const char *basicAugmentation() const override { return "90-degree rotations"; }
  const char *fullAugmentation() const override { return "rotations, mirroring, "; }

 private:
  Radiometry radiometry_;  // undefined: each chip stretched on its own
};

}  // namespace

std::unique_ptr<RegionView> makeRemoteSensingView() { return std::make_unique<RemoteSensingView>(); }

}  // namespace musecl::train
