// Band choice and radiometry of remote-sensing rasters (GDAL), and the chip loader that applies
// them. See radiometry.h for why chips are scaled per raster and in physical values.
#pragma once

#include "musecl/radiometry.h"

#include <gdal_priv.h>  // GDALDatasetUniquePtr

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace musecl {

// A band's GDAL scale and offset (1 and 0 when unset): physical value = raw * scale + offset.
struct BandCalibration {
  double scale = 1, offset = 0;
  explicit BandCalibration(GDALRasterBand &band);
  bool identity() const { return scale == 1 && offset == 0; }
};

// The bands that feed the encoder's R, G, B. `spec`: "4,3,2" (three band numbers) or "5" (one
// band, shown as grey); empty: the bands whose colour interpretation is Red, Green and Blue,
// otherwise bands 1, 2, 3, and band 1 three times for a raster of one or two bands. Throws
// std::runtime_error naming the raster and the value for a malformed list or a band beyond the
// raster's count.
std::vector<int> chooseRgbBands(const std::string &rasterPath, const std::string &spec);

// For an encoder fed every chosen band (RS_ALL_BANDS): `spec` lists any number of bands ("2,3,4,8"),
// empty means every band of the raster. Same errors as chooseRgbBands.
std::vector<int> chooseAllBands(const std::string &rasterPath, const std::string &spec);

// Each band's display range: Byte bands without scale/offset keep 0-255 (they are display values
// already); every other band gets the 2nd and 98th percentiles of its physical values (band
// scale and offset applied), nodata and NaN excluded, from at most 1024 x 1024 samples read
// through GDAL (overviews when the raster has them). Throws std::runtime_error naming the raster
// and band when a band has no valid pixel.
Radiometry measureRadiometry(const std::string &rasterPath, const std::vector<int> &bands);

// A chip (which keeps every raster band, with their scale and offset) as C x size x size bytes,
// channel-major, one channel per entry of `radiometry` (3 for RGB, N for an N-band encoder): each
// channel is its band's physical value mapped from [lo, hi] to [0, 255], clamped; invalid pixels
// are 0. False if the file cannot be read or lacks a band.
bool loadChipBands(const std::string &path, int size, const Radiometry &radiometry, std::vector<std::uint8_t> &chw);

// Opens a raster read-only without listing its folder. GDAL lists a file's folder on every open to
// find side-car files, which makes reading the n chips of one folder cost n^2: at 8 192 chips it
// was most of musecl:embed's time. Only the side-car that matters here (<file>.aux.xml, GDAL's
// own metadata) is looked up, by name. Null (quietly) if unreadable.
GDALDatasetUniquePtr openRasterQuickly(const std::string &path);

}  // namespace musecl
