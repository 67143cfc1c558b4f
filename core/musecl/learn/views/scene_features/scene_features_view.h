// The scene-feature view: the remote-sensing raster as zonal statistics of a feature raster made by
// an encoder learned from the whole scene (musecl/learn/scene_features.h). The statistics are
// computed by the caller (GDAL side); the view keeps the encoder in the model file so that
// musecl:embed makes the same features from another raster. Internal header (LibTorch).
#pragma once

#include "musecl/learn/scene_features.h"
#include "musecl/learn/views/view.h"

#include <memory>
#include <vector>

namespace musecl::train {

struct ModelParts;

std::unique_ptr<RegionView> makeSceneFeaturesView();

// The encoder of a model trained with scene features; null when the model has none.
std::shared_ptr<const SceneEncoder> sceneEncoderOf(const ModelParts &parts);
// The encoders of the ensemble's further trainings that have their own, in training order; empty
// when every training uses the first one's.
std::vector<SceneEncoder> furtherSceneEncodersOf(const ModelParts &parts);

}  // namespace musecl::train
