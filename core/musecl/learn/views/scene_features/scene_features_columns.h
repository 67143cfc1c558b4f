// The scene-feature view's columns of the RegionTable: the remote-sensing raster through a scene
// encoder learned from the whole scene (musecl/learn/scene_features.h), summarised per region by
// zonal statistics of its feature raster.
#pragma once

#include <memory>
#include <vector>

namespace musecl {

class SceneEncoder;  // musecl/learn/scene_features.h

// Where a region's feature pixels are taken: inside the region, in its surroundings (the region
// buffered by a distance, itself included), or both, one after the other. Regions are often smaller
// than what makes a place (a block's crime follows its neighbourhood), so the surroundings carry
// information the region's own pixels do not.
enum class SceneScale { Region = 0, RegionAndSurroundings = 1, Surroundings = 2 };

struct SceneFeatureColumns {
  // Per scale (the region first, then its surroundings): the mean of each feature band, then each
  // band's standard deviation. An empty row: no valid feature pixel.
  std::vector<std::vector<float>> stats;
  SceneScale scale = SceneScale::Region;
  double contextMetres = 0;  // the surroundings' buffer distance (scale != Region)
  // The encoder that made the feature raster, kept in the model for musecl:embed (training only).
  std::shared_ptr<const SceneEncoder> encoder;
};

}  // namespace musecl
