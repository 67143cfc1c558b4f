#include "musecl/geo/zonal_stats.h"

#include "musecl/geo/raster_bands.h"  // BandCalibration

#include <gdal_priv.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <stdexcept>
#include <utility>

namespace musecl {

std::size_t ZonalStatistics::regionsWithValues() const {
  return static_cast<std::size_t>(std::count(has.begin(), has.end(), 1));
}

namespace {

struct Window {
  int x0 = 0, y0 = 0, w = 0, h = 0;
};

// The pixel window of a region's bounding box, clipped to the raster; empty when outside.
// `centre`: the raster pixel (column, row) under the box's centre, possibly off the raster.
Window windowOf(const RegionRings &rings, const double gt[6], int width, int height, std::pair<long, long> &centre) {
  const RegionBounds box = regionBounds(rings);
  if (!box.valid()) return {};
  const double minX = box.minX, minY = box.minY, maxX = box.maxX, maxY = box.maxY;
  centre = {static_cast<long>(std::floor(((minX + maxX) / 2 - gt[0]) / gt[1])),
            static_cast<long>(std::floor(((minY + maxY) / 2 - gt[3]) / gt[5]))};
  double c0 = (minX - gt[0]) / gt[1], c1 = (maxX - gt[0]) / gt[1], r0 = (maxY - gt[3]) / gt[5],
         r1 = (minY - gt[3]) / gt[5];
  if (c0 > c1) std::swap(c0, c1);
  if (r0 > r1) std::swap(r0, r1);
  Window w;
  w.x0 = std::max(0, static_cast<int>(std::floor(c0)));
  w.y0 = std::max(0, static_cast<int>(std::floor(r0)));
  const int x1 = std::min(width, static_cast<int>(std::floor(c1)) + 1),
            y1 = std::min(height, static_cast<int>(std::floor(r1)) + 1);
  w.w = std::max(0, x1 - w.x0);
  w.h = std::max(0, y1 - w.y0);
  return w;
}

struct PixelWeight {
  std::size_t index;  // in the window, row-major
  double weight;      // the share of the pixel inside the region
};

// Regions with fewer pixel centres inside than this are weighted by the area they cover of each
// pixel: with a handful of pixels, whether a centre falls inside decides too much.
constexpr std::size_t kAreaWeightedBelow = 16;
constexpr int kSubSamples = 4;  // per pixel side, for the covered share
// A thin region with a large bounding box (a diagonal street, scattered islets) keeps pixel
// centres: sub-sampling its whole window would cost 16 tests per pixel of it.
constexpr std::size_t kAreaWeightedWindowLimit = 1024;

double coveredShare(const RegionRings &rings, const double *gt, int col, int row) {
  int hits = 0;
  for (int v = 0; v < kSubSamples; ++v)
    for (int u = 0; u < kSubSamples; ++u)
      hits += pointInRings(
          rings, {gt[0] + (col + (u + 0.5) / kSubSamples) * gt[1], gt[3] + (row + (v + 0.5) / kSubSamples) * gt[5]});
  return static_cast<double>(hits) / (kSubSamples * kSubSamples);
}

// The window's pixels in the region: those whose centre is inside, each of weight 1; for a region
// with fewer than kAreaWeightedBelow such pixels (and a window within kAreaWeightedWindowLimit),
// every pixel it covers, weighted by the share covered; a region too thin to cover any sub-sample:
// the pixel under its centre, when in the window.
std::vector<PixelWeight> pixelsInside(const RegionRings &rings, const Window &w, const double *gt,
                                      std::pair<long, long> centre) {
  std::vector<PixelWeight> inside;
  auto at = [&w](long i, long j) {
    return static_cast<std::size_t>(j) * static_cast<std::size_t>(w.w) + static_cast<std::size_t>(i);
  };
  for (int j = 0; j < w.h; ++j)
    for (int i = 0; i < w.w; ++i)
      if (pointInRings(rings, {gt[0] + (w.x0 + i + 0.5) * gt[1], gt[3] + (w.y0 + j + 0.5) * gt[5]}))
        inside.push_back({at(i, j), 1.0});
  if (inside.size() >= kAreaWeightedBelow) return inside;
  if (static_cast<std::size_t>(w.w) * static_cast<std::size_t>(w.h) > kAreaWeightedWindowLimit && !inside.empty())
    return inside;
  inside.clear();
  for (int j = 0; j < w.h; ++j)
    for (int i = 0; i < w.w; ++i)
      if (const double share = coveredShare(rings, gt, w.x0 + i, w.y0 + j); share > 0)
        inside.push_back({at(i, j), share});
  if (inside.empty() && centre.first >= w.x0 && centre.first < w.x0 + w.w && centre.second >= w.y0 &&
      centre.second < w.y0 + w.h)
    inside.push_back({at(centre.first - w.x0, centre.second - w.y0), 1.0});
  return inside;
}

// Whether a band's mask says more than the values: not for a band whose only invalid value is a NaN
// nodata (NaN is skipped anyway), such as a scene-feature raster's; reading the mask of every band
// for every region would cost as much as the values.
bool needsMask(GDALRasterBand &band) {
  const int flags = band.GetMaskFlags();
  if (flags & GMF_ALL_VALID) return false;
  int hasNodata = 0;
  const double nodata = band.GetNoDataValue(&hasNodata);
  return !(flags == GMF_NODATA && hasNodata && std::isnan(nodata));
}

// "<band>_mean" for every band, then "<band>_std": the band's description, or b1, b2, ...
std::vector<std::string> statisticNames(GDALDataset &ds) {
  std::vector<std::string> names;
  for (const char *stat : {"_mean", "_std"})
    for (int k = 1; k <= ds.GetRasterCount(); ++k) {
      const char *description = ds.GetRasterBand(k)->GetDescription();
      names.push_back((description && *description ? std::string(description) : "b" + std::to_string(k)) + stat);
    }
  return names;
}

}  // namespace

ZonalStatistics zonalBandStatistics(const std::string &rasterPath, const std::vector<RegionRings> &rings,
                                    const std::function<bool(std::size_t)> &keepGoing) {
  GDALAllRegister();
  GDALDatasetUniquePtr ds(GDALDataset::Open(rasterPath.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY));
  if (!ds || ds->GetRasterCount() < 1)
    throw std::runtime_error("cannot read raster '" + rasterPath + "': " + CPLGetLastErrorMsg());
  double gt[6];
  if (ds->GetGeoTransform(gt) != CE_None)
    throw std::runtime_error("raster '" + rasterPath + "' is not georeferenced (no geotransform)");
  if (gt[2] != 0.0 || gt[4] != 0.0)
    throw std::runtime_error("raster '" + rasterPath +
                             "' is rotated; warp it to a north-up grid first (e.g. gdalwarp)");
  ZonalStatistics z;
  z.bands = ds->GetRasterCount();
  const auto b = static_cast<std::size_t>(z.bands);
  z.names = statisticNames(*ds);
  z.values.assign(rings.size() * 2 * b, 0.0f);
  z.has.assign(rings.size(), 0);
  z.validPixels.assign(b, 0);
  std::vector<BandCalibration> calibration;
  std::vector<bool> readMask;
  for (int k = 1; k <= z.bands; ++k) {
    calibration.emplace_back(*ds->GetRasterBand(k));
    readMask.push_back(needsMask(*ds->GetRasterBand(k)));
  }
  std::vector<float> pixels;
  std::vector<unsigned char> valid;
  std::vector<double> sum(b), sumSq(b), weight(b);
  std::vector<std::size_t> count(b);
  for (std::size_t r = 0; r < rings.size(); ++r) {
    if (keepGoing && !keepGoing(r)) throw std::runtime_error("cancelled");
    std::pair<long, long> centre{-1, -1};
    const Window w = windowOf(rings[r], gt, ds->GetRasterXSize(), ds->GetRasterYSize(), centre);
    if (w.w == 0 || w.h == 0) continue;
    const auto n = static_cast<std::size_t>(w.w) * static_cast<std::size_t>(w.h);
    pixels.resize(n * b);
    if (ds->RasterIO(GF_Read, w.x0, w.y0, w.w, w.h, pixels.data(), w.w, w.h, GDT_Float32, z.bands, nullptr, 0, 0, 0,
                     nullptr) != CE_None)
      throw std::runtime_error("reading raster '" + rasterPath + "' failed: " + CPLGetLastErrorMsg());
    const std::vector<PixelWeight> inside = pixelsInside(rings[r], w, gt, centre);
    std::fill(sum.begin(), sum.end(), 0.0);
    std::fill(sumSq.begin(), sumSq.end(), 0.0);
    std::fill(weight.begin(), weight.end(), 0.0);
    std::fill(count.begin(), count.end(), 0);
    for (int k = 0; k < z.bands; ++k) {
      GDALRasterBand *band = ds->GetRasterBand(k + 1);
      valid.assign(n, 255);
      if (readMask[static_cast<std::size_t>(k)] &&
          band->GetMaskBand()->RasterIO(GF_Read, w.x0, w.y0, w.w, w.h, valid.data(), w.w, w.h, GDT_Byte, 0, 0,
                                        nullptr) != CE_None)
        throw std::runtime_error("reading the mask of raster '" + rasterPath + "' failed: " + CPLGetLastErrorMsg());
      const float *plane = pixels.data() + static_cast<std::size_t>(k) * n;
      const auto kk = static_cast<std::size_t>(k);
      for (const PixelWeight &p : inside)
        if (valid[p.index] && std::isfinite(plane[p.index])) {
          const double v = plane[p.index] * calibration[kk].scale + calibration[kk].offset;
          sum[kk] += p.weight * v;
          sumSq[kk] += p.weight * v * v;
          weight[kk] += p.weight;
          ++count[kk];
        }
    }
    for (std::size_t k = 0; k < b; ++k) z.validPixels[k] += count[k];
    // A region counts when every band has a valid pixel; a band without one leaves the region out
    // rather than writing a made-up 0 into the view.
    if (std::find(count.begin(), count.end(), 0) != count.end()) continue;
    float *out = z.values.data() + r * 2 * b;
    for (std::size_t k = 0; k < b; ++k) {
      const double mean = sum[k] / weight[k];
      out[k] = static_cast<float>(mean);
      out[b + k] = static_cast<float>(std::sqrt(std::max(0.0, sumSq[k] / weight[k] - mean * mean)));
    }
    z.has[r] = 1;
  }
  if (keepGoing && !keepGoing(rings.size())) throw std::runtime_error("cancelled");
  return z;
}

ZonalStatistics sideBySide(const ZonalStatistics &a, const ZonalStatistics &b) {
  if (a.has.size() != b.has.size())
    throw std::invalid_argument("zonal statistics of " + std::to_string(a.has.size()) + " and " +
                                std::to_string(b.has.size()) + " regions cannot be joined");
  ZonalStatistics z;
  z.bands = a.bands + b.bands;
  const auto wa = static_cast<std::size_t>(2 * a.bands), wb = static_cast<std::size_t>(2 * b.bands);
  z.values.reserve(a.values.size() + b.values.size());
  for (std::size_t r = 0; r < a.has.size(); ++r) {
    z.values.insert(z.values.end(), a.values.begin() + static_cast<std::ptrdiff_t>(r * wa),
                    a.values.begin() + static_cast<std::ptrdiff_t>((r + 1) * wa));
    z.values.insert(z.values.end(), b.values.begin() + static_cast<std::ptrdiff_t>(r * wb),
                    b.values.begin() + static_cast<std::ptrdiff_t>((r + 1) * wb));
    z.has.push_back(a.has[r] && b.has[r] ? 1 : 0);
  }
  z.validPixels = a.validPixels;
  z.validPixels.insert(z.validPixels.end(), b.validPixels.begin(), b.validPixels.end());
  z.names = a.names;
  for (const std::string &n : b.names) z.names.push_back("ctx_" + n);
  return z;
}

}  // namespace musecl
