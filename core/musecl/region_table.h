// The per-region inputs of MuseCL, filled by the feature algorithms and consumed by training.
// One row per region, in the order of the region layer, then one group of columns per view (each
// declared in its view's folder). Every modality is optional: empty columns mean the modality was
// not given, and per-region gaps (a region without POIs, without a chip) are explicit so the
// trainer can fall back and say so.
#pragma once

#include "musecl/learn/views/attributes/attribute_columns.h"
#include "musecl/learn/views/embedding_raster/embedding_raster_columns.h"
#include "musecl/learn/views/mobility/mobility_columns.h"
#include "musecl/learn/views/poi/poi_columns.h"
#include "musecl/learn/views/remote_sensing/remote_sensing_columns.h"
#include "musecl/learn/views/scene_features/scene_features_columns.h"
#include "musecl/learn/views/street_view/street_view_columns.h"

#include <string>
#include <vector>

namespace musecl {

struct RegionTable {
  std::vector<std::string> ids;  // unique
  // Region centroids in a metric CRS: the geographic fallback for triplets (Tile2Vec).
  std::vector<double> centroidX;
  std::vector<double> centroidY;
  // Region areas in square metres (empty: unknown). Volume per area is what makes a dense block
  // differ from a large park with the same counts.
  std::vector<double> areaSquareMetres;

  // The views' columns.
  RemoteSensingColumns remoteSensing;
  StreetViewColumns streetView;
  PoiColumns poi;
  MobilityColumns mobility;
  EmbeddingRasterColumns embeddingRaster;
  SceneFeatureColumns sceneFeatures;
  // When each training of an ensemble has its own scene encoder: the scene features of trainings
  // 2, 3, ... (entry k - 1 for training k + 1). Empty: every training uses sceneFeatures.
  std::vector<SceneFeatureColumns> furtherSceneFeatures;
  AttributeColumns attributes;

  using Flow = MobilityColumns::Flow;

  std::size_t size() const { return ids.size(); }
  bool hasPois() const { return !poi.counts.empty(); }
  bool hasMobility() const { return !mobility.inflow.empty(); }
  bool hasFlowGraph() const { return !mobility.flows.empty(); }
  bool hasChips() const { return !remoteSensing.chipPaths.empty(); }
  bool hasStreetView() const { return !streetView.paths.empty(); }
  bool hasEmbeddingRaster() const { return !embeddingRaster.stats.empty(); }
  bool hasSceneFeatures() const { return !sceneFeatures.stats.empty(); }
  // The scene features of training `run` (0-based) of an ensemble.
  const SceneFeatureColumns &sceneFeaturesOf(int run) const {
    return run > 0 && static_cast<std::size_t>(run) <= furtherSceneFeatures.size()
               ? furtherSceneFeatures[static_cast<std::size_t>(run) - 1]
               : sceneFeatures;
  }
  bool hasAttributes() const { return !attributes.names.empty() && !attributes.values.empty(); }
};

}  // namespace musecl
