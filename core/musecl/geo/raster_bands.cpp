#include "musecl/geo/raster_bands.h"

#include <gdal_priv.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <sstream>
#include <stdexcept>

namespace musecl {

BandCalibration::BandCalibration(GDALRasterBand &band) {
  int ok = 0;
  const double s = band.GetScale(&ok);
  if (ok && s != 0) scale = s;
  const double o = band.GetOffset(&ok);
  if (ok) offset = o;
}

namespace {

GDALDatasetUniquePtr openRaster(const std::string &path) {
  GDALAllRegister();
  GDALDatasetUniquePtr ds(GDALDataset::Open(path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY));
  if (!ds || ds->GetRasterCount() < 1)
    throw std::runtime_error("cannot read raster '" + path + "': " + CPLGetLastErrorMsg());
  return ds;
}

// A band read at `w` x `h` (resampled by GDAL) as floats, with a validity mask from its mask band.
bool readBand(GDALRasterBand &band, int w, int h, GDALRIOResampleAlg resampling, std::vector<float> &values,
              std::vector<unsigned char> &valid) {
  GDALRasterIOExtraArg extra;
  INIT_RASTERIO_EXTRA_ARG(extra);
  extra.eResampleAlg = resampling;
  const auto n = static_cast<std::size_t>(w) * static_cast<std::size_t>(h);
  values.resize(n);
  valid.assign(n, 255);
  if (band.RasterIO(GF_Read, 0, 0, band.GetXSize(), band.GetYSize(), values.data(), w, h, GDT_Float32, 0, 0, &extra) !=
      CE_None)
    return false;
  if ((band.GetMaskFlags() & GMF_ALL_VALID) == 0) {
    GDALRasterIOExtraArg nearest;
    INIT_RASTERIO_EXTRA_ARG(nearest);
    if (band.GetMaskBand()->RasterIO(GF_Read, 0, 0, band.GetXSize(), band.GetYSize(), valid.data(), w, h, GDT_Byte, 0,
                                     0, &nearest) != CE_None)
      return false;
  }
  for (std::size_t k = 0; k < n; ++k)
    if (!std::isfinite(values[k])) valid[k] = 0;
  return true;
}

// "4,3,2" as band numbers, each within the raster's `count` bands.
std::vector<int> parseBandList(const std::string &rasterPath, const std::string &spec, int count) {
  std::vector<int> bands;
  if (spec.back() == ',')
    throw std::runtime_error("RS_BANDS '" + spec + "' ends with a comma; give band numbers such as 4,3,2");
  std::stringstream in(spec);
  std::string item;
  while (std::getline(in, item, ',')) {
    std::size_t used = 0;
    int band = 0;
    try {
      band = std::stoi(item, &used);
    } catch (const std::exception &) {
      used = 0;
    }
    while (used < item.size() && item[used] == ' ') ++used;
    if (used == 0 || used != item.size())
      throw std::runtime_error("RS_BANDS '" + spec + "' is not a list of band numbers (e.g. 4,3,2); '" + item +
                               "' is not a number");
    if (band < 1 || band > count)
      throw std::runtime_error("band " + std::to_string(band) + " of the band list '" + spec + "' is beyond raster '" +
                               rasterPath + "', which has " + std::to_string(count) + " band(s)");
    bands.push_back(band);
  }
  return bands;
}

// The bands whose colour interpretation is Red, Green and Blue, in that order; empty unless all three are named.
std::vector<int> colourBands(GDALDataset &ds) {
  int rgb[3] = {0, 0, 0};
  for (int b = 1; b <= ds.GetRasterCount(); ++b) {
    const GDALColorInterp c = ds.GetRasterBand(b)->GetColorInterpretation();
    const int slot = c == GCI_RedBand ? 0 : c == GCI_GreenBand ? 1 : c == GCI_BlueBand ? 2 : -1;
    if (slot >= 0 && rgb[slot] == 0) rgb[slot] = b;
  }
  if (rgb[0] && rgb[1] && rgb[2]) return {rgb[0], rgb[1], rgb[2]};
  return {};
}

}  // namespace

std::vector<int> chooseAllBands(const std::string &rasterPath, const std::string &spec) {
  const auto ds = openRaster(rasterPath);
  const int count = ds->GetRasterCount();
  if (!spec.empty()) return parseBandList(rasterPath, spec, count);
  // Every band; the Red, Green and Blue bands first when the raster names them, because the first
  // three channels take a pretrained backbone's R, G, B filters (nn::adaptFirstConvWeight).
  std::vector<int> bands = colourBands(*ds);
  for (int b = 1; b <= count; ++b)
    if (std::find(bands.begin(), bands.end(), b) == bands.end()) bands.push_back(b);
  return bands;
}

std::vector<int> chooseRgbBands(const std::string &rasterPath, const std::string &spec) {
  const auto ds = openRaster(rasterPath);
  const int count = ds->GetRasterCount();
  std::vector<int> bands;
  if (!spec.empty()) {
    bands = parseBandList(rasterPath, spec, count);
    if (bands.size() == 1) bands.assign(3, bands.front());
    if (bands.size() != 3)
      throw std::runtime_error("RS_BANDS '" + spec + "' names " + std::to_string(bands.size()) +
                               " bands; give three (R,G,B, e.g. 4,3,2) or one (grey)");
    return bands;
  }
  if (std::vector<int> rgb = colourBands(*ds); !rgb.empty()) return rgb;
  if (count >= 3) return {1, 2, 3};
  return {1, 1, 1};
}

Radiometry measureRadiometry(const std::string &rasterPath, const std::vector<int> &bands) {
  const auto ds = openRaster(rasterPath);
  Radiometry r;
  const int w = std::min(ds->GetRasterXSize(), 1024), h = std::min(ds->GetRasterYSize(), 1024);
  std::vector<float> values;
  std::vector<unsigned char> valid;
  for (int b : bands) {
    if (b < 1 || b > ds->GetRasterCount())
      throw std::runtime_error("raster '" + rasterPath + "' has " + std::to_string(ds->GetRasterCount()) +
                               " band(s); band " + std::to_string(b) + " is needed");
    GDALRasterBand &band = *ds->GetRasterBand(b);
    const BandCalibration cal(band);
    BandScaling s;
    s.band = b;
    if (!readBand(band, w, h, GRIORA_NearestNeighbour, values, valid))
      throw std::runtime_error("reading band " + std::to_string(b) + " of raster '" + rasterPath +
                               "' failed: " + CPLGetLastErrorMsg());
    if (band.GetRasterDataType() == GDT_Byte && cal.identity()) {
      // 0-255: display values already (so no scene of 8-bit imagery is ever "far" from another).
      if (std::all_of(valid.begin(), valid.end(), [](unsigned char v) { return v == 0; }))
        throw std::runtime_error("band " + std::to_string(b) + " of raster '" + rasterPath +
                                 "' has no valid pixel (all nodata)");
      r.channels.push_back(s);
      continue;
    }
    std::vector<double> physical;
    physical.reserve(values.size());
    for (std::size_t k = 0; k < values.size(); ++k)
      if (valid[k]) physical.push_back(values[k] * cal.scale + cal.offset);
    if (physical.empty())
      throw std::runtime_error("band " + std::to_string(b) + " of raster '" + rasterPath +
                               "' has no valid pixel (all nodata)");
    auto at = [&physical](double q) {
      const auto k = static_cast<std::ptrdiff_t>(std::llround(q * static_cast<double>(physical.size() - 1)));
      std::nth_element(physical.begin(), physical.begin() + k, physical.end());
      return physical[static_cast<std::size_t>(k)];
    };
    s.lo = at(0.02);
    s.hi = at(0.98);
    if (!(s.hi > s.lo)) s.hi = s.lo + 1;  // a constant band: every pixel maps to 0
    r.channels.push_back(s);
  }
  return r;
}

GDALDatasetUniquePtr openRasterQuickly(const std::string &path) {
  GDALAllRegister();
  const std::string auxName = std::string(CPLGetFilename(path.c_str())) + ".aux.xml";
  VSIStatBufL stat;
  // A non-null list, even an empty one, tells GDAL the folder holds nothing else.
  char **siblings = static_cast<char **>(CPLCalloc(1, sizeof(char *)));
  if (VSIStatL((path + ".aux.xml").c_str(), &stat) == 0) siblings = CSLAddString(siblings, auxName.c_str());
  GDALDatasetUniquePtr ds;
  {
    CPLErrorHandlerPusher quiet(CPLQuietErrorHandler);
    ds.reset(GDALDataset::Open(path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY, nullptr, nullptr, siblings));
    // A format that needs another side-car (.hdr, .msk, ...) is opened again the ordinary way.
    if (!ds) ds.reset(GDALDataset::Open(path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY));
  }
  CSLDestroy(siblings);
  return ds;
}

bool loadChipBands(const std::string &path, int size, const Radiometry &radiometry, std::vector<std::uint8_t> &chw) {
  if (size < 1 || radiometry.channels.empty()) return false;
  GDALDatasetUniquePtr ds = openRasterQuickly(path);
  if (!ds) return false;
  const auto plane = static_cast<std::size_t>(size) * static_cast<std::size_t>(size);
  chw.assign(radiometry.channels.size() * plane, 0);
  std::vector<float> values;
  std::vector<unsigned char> valid;
  for (std::size_t c = 0; c < radiometry.channels.size(); ++c) {
    const BandScaling &s = radiometry.channels[c];
    if (s.band < 1 || s.band > ds->GetRasterCount()) return false;
    GDALRasterBand &band = *ds->GetRasterBand(s.band);
    const BandCalibration cal(band);
    if (!readBand(band, size, size, GRIORA_Bilinear, values, valid)) return false;
    std::uint8_t *out = chw.data() + c * plane;
    const double span = s.hi - s.lo;
    for (std::size_t k = 0; k < plane; ++k)
      if (valid[k])
        out[k] = static_cast<std::uint8_t>(
            std::clamp(std::lround((values[k] * cal.scale + cal.offset - s.lo) / span * 255.0), 0L, 255L));
  }
  return true;
}

}  // namespace musecl
