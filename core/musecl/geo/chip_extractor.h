// One square image chip per region from a raster of any size, band count, data type and CRS.
//
// Only the window under the region is read (GDAL's floating-point windows with bilinear
// resampling), so memory is bounded by the chip, not by the raster. The chip covers the square
// centred on the region's bounding box whose side is the box's longer side, so regions keep
// their aspect ratio. Pixels are invalid when they fall outside the raster, are nodata (GDAL mask
// band) or, with masking on, have their centre outside the region; invalid pixels are written with
// the raster's nodata value (0 when it has none).
#pragma once

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "musecl/geo/region_locator.h"  // RegionRings

namespace musecl {

enum class ChipFormat { GeoTiff, Png };

struct ChipOptions {
  int size = 256;
  // > 0: every chip covers this fixed square of ground (raster CRS units) centred on the region's
  // bounding box, so chips show regions at one scale: a small region keeps its context, a large
  // one is cut to its centre. 0: the square around the region's bounding box (its longer side).
  double groundWindow = 0;
  bool maskOutsideRegion = false;
  ChipFormat format = ChipFormat::GeoTiff;
};

struct RasterInfo {
  int width = 0;
  int height = 0;
  int bands = 0;
  std::string dataType;  // GDAL name, e.g. "Byte"
  std::string crsWkt;
  std::array<double, 6> geoTransform{};
  double minX = 0, minY = 0, maxX = 0, maxY = 0;  // extent in the raster CRS
  bool hasNoData = false;
  double noData = 0;
};

struct ChipResult {
  double validFraction = 0;  // of all chip pixels
  bool written = false;      // false when no pixel is valid (no file is written then)
};

class ChipExtractor {
 public:
  // Throws std::runtime_error naming the path for unreadable rasters, rotated geotransforms, a
  // chip size outside [8, 4096], or PNG output of a type PNG cannot hold (only Byte and UInt16).
  ChipExtractor(const std::string &rasterPath, const ChipOptions &options);
  ~ChipExtractor();
  ChipExtractor(const ChipExtractor &) = delete;
  ChipExtractor &operator=(const ChipExtractor &) = delete;

  const RasterInfo &info() const { return info_; }

  // `rings` in the raster's CRS. Throws std::runtime_error if the chip cannot be written.
  ChipResult extract(const RegionRings &rings, const std::string &outputPath);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  RasterInfo info_;
  ChipOptions options_;
};

// The chip size that matches the raster's resolution: twice the median region's longer
// bounding-box side in raster pixels, rounded up to a multiple of 32 and kept within [64, 256].
// A chip much larger than the pixels under its region only spends compute on upsampled pixels (a
// Manhattan zone spans 20-30 Landsat pixels, so 256 px chips cost ~16x what 64 px cost); twice the
// span because ResNet's stem halves the input twice before its first block. On Manhattan
// (BENCHMARKS.md, 3 training seeds) 32, 64 and 256 px gave the same accuracy within seed noise
// (32 px: -0.11 R2 on spatially blocked check-ins, +0.05 on spatially blocked crime against 64). `rings` in the
// raster's CRS; regions without a ring are ignored, and none at all gives 256. With a ground window (> 0, raster CRS
// units) the span is the window's instead of the regions'.
int automaticChipSize(const std::vector<RegionRings> &rings, const std::array<double, 6> &geoTransform,
                      double groundWindow = 0);

// Whether GDAL can open the file as an image (headers only; cheap). Used to report unreadable
// street-view images before training.
bool imageIsReadable(const std::string &path);

}  // namespace musecl
