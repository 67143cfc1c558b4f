// The scene-feature view: see scene_features_view.h.
#include "musecl/learn/views/scene_features/scene_features_view.h"

#include "musecl/learn/train/archive.h"
#include "musecl/learn/train/model_file.h"
#include "musecl/learn/views/scene_features/scene_net.h"

#include <stdexcept>

namespace musecl::train {

namespace {

ViewVectors sceneFeatureVectors(const RegionTable &table, const SceneFeatureColumns &columns) {
  if (columns.stats.empty()) return {};
  std::size_t width = 0;
  for (const auto &row : columns.stats)
    if (!row.empty()) {
      if (width != 0 && row.size() != width)
        throw std::invalid_argument("scene-feature statistics have " + std::to_string(row.size()) + " and " +
                                    std::to_string(width) + " values in different regions");
      width = row.size();
    }
  if (width == 0) return {};
  ViewVectors view;
  view.values = torch::zeros({static_cast<int64_t>(table.size()), static_cast<int64_t>(width)});
  view.has.assign(table.size(), 0);
  for (std::size_t r = 0; r < table.size(); ++r) {
    const auto &row = columns.stats[r];
    if (row.empty()) continue;
    view.values[static_cast<int64_t>(r)].copy_(torch::tensor(row));
    view.has[r] = 1;
  }
  return view;
}

class SceneFeaturesView final : public RegionView {
 public:
  SceneFeaturesView() : RegionView(View::SceneFeatures) {}
  ViewVectors train(ViewRun &run, double &) override {
    const RegionTable &table = run.table;
    const SceneFeatureColumns &columns = table.sceneFeaturesOf(run.ctx.run);
    ViewVectors view = sceneFeatureVectors(table, columns);
    if (view.defined() && !columns.encoder)
      throw std::invalid_argument("scene-feature statistics were given without the encoder that made them");
    if (view.defined()) {
      encoder_ = *columns.encoder;
      ownEncoder_ = &columns != &table.sceneFeatures;
      scale_ = columns.scale;
      contextMetres_ = scale_ == SceneScale::Region ? 0.0 : columns.contextMetres;
      run.ctx.decide("remote sensing: scene features (" + encoder_->info().summary + "), mean and spread of " +
                     std::to_string(encoder_->info().features) + " feature band(s) " + describeScale() + " in " +
                     std::to_string(view.count()) + " of " + std::to_string(table.size()) + " regions");
    } else if (table.hasSceneFeatures()) {
      run.ctx.decide("scene features: no region has a valid feature pixel; not used");
    }
    return view;
  }
  bool inModel() const override { return encoder_.has_value(); }
  bool given(const RegionTable &table) const override { return table.hasSceneFeatures(); }
  const char *inputs() const override { return "remote-sensing raster (scene features)"; }

  void countInputs(const RegionTable &table, std::vector<std::size_t> &counts) const override {
    countPerRegion(table.sceneFeatures.stats, table.size(), counts);
    counts.push_back(table.sceneFeatures.encoder != nullptr);
    counts.push_back(table.furtherSceneFeatures.size());
  }
  ViewVectors apply(ViewRun &run) override {
    if (ownEncoder_ && static_cast<std::size_t>(run.ctx.run) > run.table.furtherSceneFeatures.size())
      throw std::invalid_argument("training " + std::to_string(run.ctx.run + 1) +
                                  " of the model has its own scene encoder, but the region table has scene features "
                                  "of " +
                                  std::to_string(run.table.furtherSceneFeatures.size() + 1) + " encoder(s)");
    return sceneFeatureVectors(run.table,
                               ownEncoder_ ? run.table.sceneFeaturesOf(run.ctx.run) : run.table.sceneFeatures);
  }
  bool sharedWithFirstTraining() const override { return !ownEncoder_; }
  void describe(ModelInfo &info, const ViewVectors &trained) const override {
    info.sceneFeatures = trained.defined();
    info.sceneFeatureValues = trained.defined() ? static_cast<int>(trained.values.size(1)) : 0;
    info.sceneEncoderSummary = encoder_ ? encoder_->info().summary : std::string();
    info.sceneScale = scale_;
    info.sceneContextMetres = contextMetres_;
  }
  void save(torch::serialize::OutputArchive &archive) const override {
    if (!encoder_) return;
    torch::serialize::OutputArchive sub;
    encoder_->impl()->save(sub);
    writeInt(sub, "sf.scale", static_cast<std::int64_t>(scale_));
    writeDouble(sub, "sf.context_metres", contextMetres_);
    if (ownEncoder_) writeInt(sub, "sf.own_encoder", 1);
    archive.write("view.sf", sub);
  }
  void load(torch::serialize::InputArchive &archive, ModelInfo &info) override {
    torch::serialize::InputArchive sub;
    if (!archive.try_read("view.sf", sub)) return;  // a model without the view, or from before it
    encoder_ = SceneEncoder(SceneEncoder::Impl::load(sub));
    c10::IValue own;
    ownEncoder_ = sub.try_read("sf.own_encoder", own) && own.toInt() != 0;
    c10::IValue scale;
    if (sub.try_read("sf.scale", scale)) {  // models from before the scales have the region alone
      if (scale.toInt() < 0 || scale.toInt() > 2)
        throw std::runtime_error("the scene-feature view has an unknown scale " + std::to_string(scale.toInt()));
      scale_ = static_cast<SceneScale>(scale.toInt());
      contextMetres_ = readDouble(sub, "sf.context_metres");
    }
    info.sceneFeatures = true;
    info.sceneFeatureValues = 2 * encoder_->info().features * (scale_ == SceneScale::RegionAndSurroundings ? 2 : 1);
    info.sceneScale = scale_;
    info.sceneContextMetres = contextMetres_;
    info.sceneEncoderSummary = encoder_->info().summary;
  }
  const std::optional<SceneEncoder> &encoder() const { return encoder_; }
  bool ownEncoder() const { return ownEncoder_; }

 private:
  std::string describeScale() const {
    const std::string around = "its surroundings (" + std::to_string(static_cast<long>(contextMetres_ + 0.5)) + " m)";
    switch (scale_) {
      case SceneScale::Region:
        return "over each region";
      case SceneScale::RegionAndSurroundings:
        return "over each region and over " + around;
      case SceneScale::Surroundings:
        return "over each region with " + around;
    }
    return {};
  }
  std::optional<SceneEncoder> encoder_;
  bool ownEncoder_ = false;  // a further training's, made by its own encoder (not the first training's)
  SceneScale scale_ = SceneScale::Region;
  double contextMetres_ = 0;
};

}  // namespace

std::unique_ptr<RegionView> makeSceneFeaturesView() { return std::make_unique<SceneFeaturesView>(); }

std::shared_ptr<const SceneEncoder> sceneEncoderOf(const ModelParts &parts) {
  const auto *view =
      dynamic_cast<const SceneFeaturesView *>(parts.views[static_cast<std::size_t>(View::SceneFeatures)].get());
  return view && view->encoder() ? std::make_shared<const SceneEncoder>(*view->encoder()) : nullptr;
}

std::vector<SceneEncoder> furtherSceneEncodersOf(const ModelParts &parts) {
  std::vector<SceneEncoder> encoders;
  for (const EnsembleMember &member : parts.ensemble) {
    const auto *view =
        dynamic_cast<const SceneFeaturesView *>(member.views[static_cast<std::size_t>(View::SceneFeatures)].get());
    if (view && view->encoder() && view->ownEncoder()) encoders.push_back(*view->encoder());
  }
  return encoders;
}

}  // namespace musecl::train
