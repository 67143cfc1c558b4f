// The embedding-raster view's columns of the RegionTable: a continuous raster (e.g. foundation-model
// embeddings) summarised per region by zonal statistics (geo/zonal_stats.h).
#pragma once

#include <vector>

namespace musecl {

struct EmbeddingRasterColumns {
  // The mean of each band, then each band's standard deviation. An empty row: no valid pixel.
  std::vector<std::vector<float>> stats;
};

}  // namespace musecl
