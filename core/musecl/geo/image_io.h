// Decoding images for training: street-view photos (JPEG, PNG, WebP, BMP) through OpenCV with their
// EXIF orientation (photo_io.h); chips (GeoTIFF) and anything OpenCV cannot read through GDAL,
// resampled to size x size, as 3 bytes per pixel, channel-major (RGB). One-band images are
// replicated to three bands; non-byte rasters are stretched linearly between each band's minimum
// and maximum in the image; a band's nodata pixels become 0.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace musecl {

bool loadImageRgb(const std::string &path, int size, std::vector<std::uint8_t> &chw);

}  // namespace musecl
