// The embedding-raster view: see embedding_raster_view.h.
#include "musecl/train/embedding_raster_view.h"

#include <stdexcept>

namespace musecl::train {

ViewVectors embeddingRasterView(const RegionTable &table) {
  if (!table.hasEmbeddingRaster()) return {};
  std::size_t width = 0;
  for (const auto &row : table.embeddingRasterStats)
    if (!row.empty()) {
      if (width != 0 && row.size() != width)
        throw std::invalid_argument("embedding-raster statistics have " + std::to_string(row.size()) + " and " + std::to_string(width) + " values in different regions");
      width = row.size();
    }
  if (width == 0) return {};
  ViewVectors view;
  const auto n = static_cast<int64_t>(table.size());
  view.values = torch::zeros({n, static_cast<int64_t>(width)});
  view.has.assign(table.size(), 0);
  for (std::size_t r = 0; r < table.size() && r < table.embeddingRasterStats.size(); ++r) {
    const auto &row = table.embeddingRasterStats[r];
    if (row.empty()) continue;
    view.values[static_cast<int64_t>(r)].copy_(torch::tensor(row));
    view.has[r] = 1;
  }
  return view;
}

}  // namespace musecl::train
