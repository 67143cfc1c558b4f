// The embedding-raster view: a continuous multi-band raster (for example an annual export of a
// foundation model's embeddings) summarised per region as the mean and standard deviation of each
// band (zonal_stats.h, computed by the caller). No training of its own: the fusion's projection
// and attention learn what it is worth next to the other views. Internal header (LibTorch).
#pragma once

#include "musecl/learn/train/context.h"
#include "musecl/learn/views/view.h"

#include <memory>

namespace musecl::train {

// Undefined when the table has no embedding raster or no region has values; throws
// std::invalid_argument when regions disagree on the number of values.
ViewVectors embeddingRasterView(const RegionTable &table);

std::unique_ptr<RegionView> makeEmbeddingRasterView();

}  // namespace musecl::train
