// Street-view photos through OpenCV: decoding (JPEG, PNG, WebP, BMP, ...) with the EXIF
// orientation applied, area resampling to size x size, and a full-decode check used when photos
// are assigned to regions, so a truncated or corrupt photo is reported there and never stops a
// training run later. Rasters with geotransforms and non-byte data (chips) stay with GDAL
// (image_io.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace musecl {

// Decodes `path` into 3 x size x size bytes (channel-major RGB). False when OpenCV cannot decode
// it completely; `why` (optional) then says what was wrong.
bool decodePhotoRgb(const std::string &path, int size, std::vector<std::uint8_t> &chw, std::string *why = nullptr);

// Whether the photo decodes completely (every byte of image data present); `why` as above.
bool photoIsDecodable(const std::string &path, std::string *why = nullptr);

// Whether `path` names a photo format that goes through OpenCV (by extension: jpg, jpeg, png,
// webp, bmp); everything else (GeoTIFF chips) goes through GDAL.
bool isPhotoPath(const std::string &path);

}  // namespace musecl
