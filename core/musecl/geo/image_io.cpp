#include "musecl/geo/image_io.h"
#include "musecl/geo/raster_bands.h"

#include "musecl/geo/photo_io.h"

#include <gdal_priv.h>

#include <algorithm>
#include <cmath>
#include <memory>

namespace musecl {

bool loadImageRgb(const std::string &path, int size, std::vector<std::uint8_t> &chw) {
  if (size < 1) return false;
  // Photos go through OpenCV (EXIF orientation, complete decodes); rasters and anything OpenCV
  // cannot read go through GDAL.
  if (isPhotoPath(path) && decodePhotoRgb(path, size, chw)) return true;
  GDALDatasetUniquePtr ds = openRasterQuickly(path);
  if (!ds || ds->GetRasterCount() < 1) return false;
  const int bands = ds->GetRasterCount();
  const auto plane = static_cast<std::size_t>(size) * static_cast<std::size_t>(size);
  chw.assign(3 * plane, 0);
  GDALRasterIOExtraArg extra;
  INIT_RASTERIO_EXTRA_ARG(extra);
  extra.eResampleAlg = GRIORA_Bilinear;
  std::vector<float> values(plane);
  for (int c = 0; c < 3; ++c) {
    GDALRasterBand *band = ds->GetRasterBand(std::min(c + 1, bands == 2 ? 1 : bands));
    if (band->RasterIO(GF_Read, 0, 0, ds->GetRasterXSize(), ds->GetRasterYSize(), values.data(), size, size,
                       GDT_Float32, 0, 0, &extra) != CE_None)
      return false;
    int hasNoData = 0;
    const double noData = band->GetNoDataValue(&hasNoData);
    float lo = 0, hi = 255;
    if (band->GetRasterDataType() != GDT_Byte) {
      lo = std::numeric_limits<float>::max();
      hi = std::numeric_limits<float>::lowest();
      for (float v : values)
        if (std::isfinite(v) && !(hasNoData && v == static_cast<float>(noData))) {
          lo = std::min(lo, v);
          hi = std::max(hi, v);
        }
      if (!(hi > lo)) hi = lo + 1;
    }
    std::uint8_t *out = chw.data() + static_cast<std::size_t>(c) * plane;
    for (std::size_t k = 0; k < plane; ++k) {
      const float v = values[k];
      if (!std::isfinite(v) || (hasNoData && v == static_cast<float>(noData))) continue;
      out[k] = static_cast<std::uint8_t>(std::clamp(std::lround((v - lo) / (hi - lo) * 255.0f), 0L, 255L));
    }
  }
  return true;
}

}  // namespace musecl
