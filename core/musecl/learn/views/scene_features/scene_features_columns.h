// The scene-feature view's columns of the RegionTable: the remote-sensing raster through a scene
// encoder learned from the whole scene (musecl/learn/scene_features.h), summarised per region by
// zonal statistics of its feature raster.
#pragma once

#include <memory>
#include <vector>

namespace musecl {

class SceneEncoder;  // musecl/learn/scene_features.h

struct SceneFeatureColumns {
  // The mean of each feature band over the region, then each band's standard deviation. An empty
  // row: no valid feature pixel.
  std::vector<std::vector<float>> stats;
  // The encoder that made the feature raster, kept in the model for musecl:embed (training only).
  std::shared_ptr<const SceneEncoder> encoder;
};

}  // namespace musecl
