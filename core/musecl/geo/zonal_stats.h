// Per-region statistics of a continuous multi-band raster (e.g. an annual embedding export of a
// foundation model, 64 bands at 10 m): the mean and standard deviation of every band over the
// pixels in the region (area-weighted for small regions), nodata and NaN excluded. Each region
// reads only its own window of the raster, so memory is bounded by the largest region, not by the
// raster.
#pragma once

#include "musecl/geo/region_locator.h"  // RegionRings

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace musecl {

struct ZonalStatistics {
  int bands = 0;
  // regions x (2 * bands): means of bands 1..B, then their std. After sideBySide(a, b): a's row,
  // then b's, and `bands`, `validPixels` and `names` count both.
  std::vector<float> values;
  std::vector<std::uint8_t> has;         // 1 where the region has a valid pixel in every band
  std::vector<std::size_t> validPixels;  // per band, over all regions: 0 names a band with nothing to offer
  std::vector<std::string> names;        // "b1_mean", ..., "b1_std", ... (or the band descriptions)
  std::size_t regionsWithValues() const;
};

// `rings` in the raster's CRS. Values are physical (GDAL's band scale and offset applied). A region
// holding fewer than 16 pixel centres is area-weighted: every pixel it touches counts by the share
// of it the region covers (on a 4 x 4 grid of sub-samples). A region too thin for any sub-sample
// takes the pixel under its bounding box's centre, if that pixel is on the raster. `keepGoing(done)` is asked after
// each region; false stops and throws std::runtime_error("cancelled"). Throws std::runtime_error naming the file for an
// unreadable or rotated raster.
ZonalStatistics zonalBandStatistics(const std::string &rasterPath, const std::vector<RegionRings> &rings,
                                    const std::function<bool(std::size_t done)> &keepGoing = {});

// Two statistics of the same regions joined per region: `a`'s row (means, then std), then `b`'s.
// `bands` counts both; `has` needs both; `b`'s names take the prefix "ctx_". Throws
// std::invalid_argument when the region counts differ.
ZonalStatistics sideBySide(const ZonalStatistics &a, const ZonalStatistics &b);

}  // namespace musecl
