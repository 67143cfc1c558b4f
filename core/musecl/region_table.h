// The per-region inputs of MuseCL, filled by the feature algorithms and consumed by training.
// One row per region, in the order of the region layer. Every modality is optional: an empty
// vector means the modality was not given, and per-region gaps (a region without POIs, without a
// chip) are explicit so the trainer can fall back and say so.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "musecl/radiometry.h"

namespace musecl {

struct RegionTable {
  std::vector<std::string> ids;  // unique
  // Region centroids in a metric CRS: the geographic fallback for triplets (Tile2Vec).
  std::vector<double> centroidX;
  std::vector<double> centroidY;

  // POIs (paper eq. 3): counts per category, the category names being the columns.
  std::vector<std::string> poiCategories;
  std::vector<std::vector<double>> poiCounts;  // [region][category]
  // Words for skip-gram (paper eq. 7): each POI's category token and text tokens, per region (the
  // region's "sentence"), and the category tokens alone, whose word vectors are averaged.
  std::vector<std::vector<std::string>> poiWords;
  std::vector<std::vector<std::string>> poiCategoryTokens;

  // Mobility (paper eqs. 1-2): weights of flows with both ends in regions; internal flows are also
  // counted in inflow and outflow.
  std::vector<double> inflow;
  std::vector<double> outflow;
  std::vector<double> internal;
  // The flow graph itself (OD lines): one entry per origin-destination pair with its summed weight.
  // Empty for trip end points, which say how much leaves and arrives but not where it goes.
  struct Flow {
    std::uint32_t origin = 0;
    std::uint32_t destination = 0;
    double weight = 0;
  };
  std::vector<Flow> flows;

  // Region areas in square metres (empty: unknown). Volume per area is what makes a dense block
  // differ from a large park with the same counts.
  std::vector<double> areaSquareMetres;

  // Imagery: one remote-sensing chip per region (empty path: none), any number of street-view images.
  std::vector<std::string> chipPaths;
  // How the chips' bands become RGB, measured on the raster they were cut from (radiometry.h).
  // Undefined: each chip is stretched on its own (models from before the radiometry).
  Radiometry chipRadiometry;
  std::vector<std::vector<std::string>> streetViewPaths;

  // A continuous raster (e.g. foundation-model embeddings) summarised per region: the mean of each
  // band, then each band's standard deviation (zonal_stats.h). An empty row: no valid pixel.
  std::vector<std::vector<float>> embeddingRasterStats;

  std::size_t size() const { return ids.size(); }
  bool hasPois() const { return !poiCounts.empty(); }
  bool hasMobility() const { return !inflow.empty(); }
  bool hasFlowGraph() const { return !flows.empty(); }
  bool hasChips() const { return !chipPaths.empty(); }
  bool hasStreetView() const { return !streetViewPaths.empty(); }
  bool hasEmbeddingRaster() const { return !embeddingRasterStats.empty(); }
};

}  // namespace musecl
