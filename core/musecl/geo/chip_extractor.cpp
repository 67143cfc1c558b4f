#include "musecl/geo/chip_extractor.h"

#include <gdal.h>
#include <gdal_priv.h>
#include <cpl_string.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

namespace musecl {

namespace {

// A chip's square window on the ground, and the chip columns c0..c1 and rows r0..r1 whose pixel
// centres fall inside the raster (empty when c0 >= c1 or r0 >= r1).
struct ChipWindow {
  double x0 = 0, y1 = 0, cell = 0;  // west edge, north edge, chip pixel size in CRS units
  int c0 = 0, c1 = 0, r0 = 0, r1 = 0;
  bool empty() const { return c0 >= c1 || r0 >= r1; }
};

ChipWindow chipWindow(const RegionBounds &b, int size, double groundWindow, const RasterInfo &info) {
  const auto &gt = info.geoTransform;
  // Square window around the box; a degenerate box gets one source pixel.
  const double half = groundWindow > 0
                          ? groundWindow / 2.0
                          : std::max({b.maxX - b.minX, b.maxY - b.minY, std::fabs(gt[1]), std::fabs(gt[5])}) / 2.0;
  const double cx = (b.minX + b.maxX) / 2.0, cy = (b.minY + b.maxY) / 2.0;
  ChipWindow w;
  w.x0 = cx - half;
  w.y1 = cy + half;
  w.cell = 2.0 * half / size;
  w.c0 = w.r0 = size;
  for (int i = 0; i < size; ++i) {
    const double px = (w.x0 + (i + 0.5) * w.cell - gt[0]) / gt[1];
    if (px >= 0 && px < info.width) {
      w.c0 = std::min(w.c0, i);
      w.c1 = std::max(w.c1, i + 1);
    }
    const double py = (w.y1 - (i + 0.5) * w.cell - gt[3]) / gt[5];
    if (py >= 0 && py < info.height) {
      w.r0 = std::min(w.r0, i);
      w.r1 = std::max(w.r1, i + 1);
    }
  }
  return w;
}

// The raster window (fractional pixels) that maps exactly onto the chip's columns and rows, as
// RasterIO's integer window and its floating-point refinement (bilinear resampling).
struct SourceWindow {
  int x = 0, y = 0, width = 0, height = 0;
  GDALRasterIOExtraArg extra;
};

SourceWindow sourceWindow(const ChipWindow &w, const RasterInfo &info) {
  const auto &gt = info.geoTransform;
  auto rasterCol = [&](double x) { return (x - gt[0]) / gt[1]; };
  auto rasterRow = [&](double y) { return (y - gt[3]) / gt[5]; };
  double dfX0 = rasterCol(w.x0 + w.c0 * w.cell), dfX1 = rasterCol(w.x0 + w.c1 * w.cell);
  double dfY0 = rasterRow(w.y1 - w.r0 * w.cell), dfY1 = rasterRow(w.y1 - w.r1 * w.cell);
  if (dfX0 > dfX1) std::swap(dfX0, dfX1);
  if (dfY0 > dfY1) std::swap(dfY0, dfY1);
  dfX0 = std::max(0.0, dfX0);
  dfY0 = std::max(0.0, dfY0);
  dfX1 = std::min(static_cast<double>(info.width), dfX1);
  dfY1 = std::min(static_cast<double>(info.height), dfY1);
  SourceWindow s;
  s.x = static_cast<int>(std::floor(dfX0));
  s.y = static_cast<int>(std::floor(dfY0));
  s.width = std::max(1, std::min(info.width, static_cast<int>(std::ceil(dfX1))) - s.x);
  s.height = std::max(1, std::min(info.height, static_cast<int>(std::ceil(dfY1))) - s.y);
  INIT_RASTERIO_EXTRA_ARG(s.extra);
  s.extra.eResampleAlg = GRIORA_Bilinear;
  s.extra.bFloatingPointWindowValidity = TRUE;
  s.extra.dfXOff = dfX0;
  s.extra.dfYOff = dfY0;
  s.extra.dfXSize = std::max(dfX1 - dfX0, 1e-6);
  s.extra.dfYSize = std::max(dfY1 - dfY0, 1e-6);
  return s;
}

// Each band's fill for invalid pixels: its own nodata value (a band's nodata pixels stay nodata in
// its chip band, and the chip loader leaves them out); bands without one take band 1's fill.
struct BandFill {
  std::vector<double> value;
  std::vector<bool> hasNoData;
};

BandFill bandFill(GDALDataset &dataset, const RasterInfo &info) {
  BandFill f{std::vector<double>(static_cast<std::size_t>(info.bands), info.hasNoData ? info.noData : 0.0),
             std::vector<bool>(static_cast<std::size_t>(info.bands), info.hasNoData)};
  for (int b = 0; b < info.bands; ++b) {
    int has = 0;
    const double v = dataset.GetRasterBand(b + 1)->GetNoDataValue(&has);
    if (has) f.value[static_cast<std::size_t>(b)] = v, f.hasNoData[static_cast<std::size_t>(b)] = true;
  }
  return f;
}

}  // namespace

struct ChipExtractor::Impl {
  GDALDatasetUniquePtr dataset;
  GDALDataType type = GDT_Byte;
  std::vector<unsigned char> pixels;  // bands * size * size, band-sequential
  std::vector<unsigned char> mask;    // size * size, 0 = invalid

  void read(const ChipWindow &w, const RasterInfo &info, int size);
  std::size_t maskInvalid(const RegionRings &rings, const ChipWindow &w, const RasterInfo &info,
                          const ChipOptions &options, const BandFill &fill);
  void write(const std::string &outputPath, const ChipWindow &w, const RasterInfo &info, const ChipOptions &options,
             const BandFill &fill);
};

ChipExtractor::ChipExtractor(const std::string &rasterPath, const ChipOptions &options)
    : impl_(std::make_unique<Impl>()), options_(options) {
  GDALAllRegister();
  if (options.size < 8 || options.size > 4096)
    throw std::runtime_error("chip size must be between 8 and 4096 pixels, got " + std::to_string(options.size));
  impl_->dataset.reset(GDALDataset::Open(rasterPath.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY));
  if (!impl_->dataset) throw std::runtime_error("cannot open raster '" + rasterPath + "': " + CPLGetLastErrorMsg());
  GDALDataset &ds = *impl_->dataset;
  info_.width = ds.GetRasterXSize();
  info_.height = ds.GetRasterYSize();
  info_.bands = ds.GetRasterCount();
  if (info_.bands < 1) throw std::runtime_error("raster '" + rasterPath + "' has no bands");
  if (ds.GetGeoTransform(info_.geoTransform.data()) != CE_None)
    throw std::runtime_error("raster '" + rasterPath + "' is not georeferenced (no geotransform)");
  const auto &gt = info_.geoTransform;
  if (gt[2] != 0.0 || gt[4] != 0.0)
    throw std::runtime_error("raster '" + rasterPath +
                             "' is rotated; warp it to a north-up grid first (e.g. gdalwarp)");
  info_.minX = std::min(gt[0], gt[0] + gt[1] * info_.width);
  info_.maxX = std::max(gt[0], gt[0] + gt[1] * info_.width);
  info_.minY = std::min(gt[3], gt[3] + gt[5] * info_.height);
  info_.maxY = std::max(gt[3], gt[3] + gt[5] * info_.height);
  if (const OGRSpatialReference *srs = ds.GetSpatialRef()) {
    char *wkt = nullptr;
    srs->exportToWkt(&wkt);
    info_.crsWkt = wkt ? wkt : "";
    CPLFree(wkt);
  }
  GDALRasterBand *band = ds.GetRasterBand(1);
  impl_->type = band->GetRasterDataType();
  info_.dataType = GDALGetDataTypeName(impl_->type);
  int hasNoData = 0;
  info_.noData = band->GetNoDataValue(&hasNoData);
  info_.hasNoData = hasNoData != 0;
  if (options.format == ChipFormat::Png && impl_->type != GDT_Byte && impl_->type != GDT_UInt16)
    throw std::runtime_error("raster '" + rasterPath + "' has " + info_.dataType +
                             " pixels, which PNG cannot store; write GeoTIFF chips instead");
  const auto n = static_cast<std::size_t>(options.size) * static_cast<std::size_t>(options.size);
  impl_->pixels.resize(n * static_cast<std::size_t>(info_.bands) *
                       static_cast<std::size_t>(GDALGetDataTypeSizeBytes(impl_->type)));
  impl_->mask.resize(n);
}

ChipExtractor::~ChipExtractor() = default;

// The chip's pixels (bilinear) and the raster's mask (nearest) over the window.
void ChipExtractor::Impl::read(const ChipWindow &w, const RasterInfo &info, int size) {
  const int typeSize = GDALGetDataTypeSizeBytes(type);
  const auto plane = static_cast<GSpacing>(size) * size * typeSize;
  const SourceWindow src = sourceWindow(w, info);
  GDALRasterIOExtraArg extra = src.extra;
  const int bufW = w.c1 - w.c0, bufH = w.r1 - w.r0;
  unsigned char *origin = pixels.data() + (static_cast<std::size_t>(w.r0) * size + w.c0) * typeSize;
  if (dataset->RasterIO(GF_Read, src.x, src.y, src.width, src.height, origin, bufW, bufH, type, info.bands, nullptr,
                        typeSize, static_cast<GSpacing>(size) * typeSize, plane, &extra) != CE_None)
    throw std::runtime_error(std::string("reading the raster failed: ") + CPLGetLastErrorMsg());
  // Validity: the raster's mask (nodata, alpha); the region polygon comes after (maskInvalid).
  GDALRasterBand *maskBand = dataset->GetRasterBand(1)->GetMaskBand();
  if ((dataset->GetRasterBand(1)->GetMaskFlags() & GMF_ALL_VALID) != 0) {
    for (int j = w.r0; j < w.r1; ++j)
      std::fill_n(mask.begin() + static_cast<std::ptrdiff_t>(j) * size + w.c0, bufW, 255);
    return;
  }
  GDALRasterIOExtraArg nearest = extra;
  nearest.eResampleAlg = GRIORA_NearestNeighbour;
  if (maskBand->RasterIO(GF_Read, src.x, src.y, src.width, src.height,
                         mask.data() + static_cast<std::size_t>(w.r0) * size + w.c0, bufW, bufH, GDT_Byte, 1,
                         static_cast<GSpacing>(size), &nearest) != CE_None)
    throw std::runtime_error(std::string("reading the raster mask failed: ") + CPLGetLastErrorMsg());
}

// Sets invalid pixels (masked, or outside the region when asked) to each band's fill; returns the valid count.
std::size_t ChipExtractor::Impl::maskInvalid(const RegionRings &rings, const ChipWindow &w, const RasterInfo &info,
                                             const ChipOptions &options, const BandFill &fill) {
  const int size = options.size;
  const int typeSize = GDALGetDataTypeSizeBytes(type);
  const auto plane = static_cast<GSpacing>(size) * size * typeSize;
  std::size_t valid = 0;
  for (int j = 0; j < size; ++j)
    for (int i = 0; i < size; ++i) {
      const std::size_t k = static_cast<std::size_t>(j) * size + i;
      bool ok = mask[k] != 0;
      if (ok && options.maskOutsideRegion)
        ok = pointInRings(rings, {w.x0 + (i + 0.5) * w.cell, w.y1 - (j + 0.5) * w.cell});
      if (ok) {
        ++valid;
        continue;
      }
      for (int b = 0; b < info.bands; ++b)
        GDALCopyWords64(&fill.value[static_cast<std::size_t>(b)], GDT_Float64, 0,
                        pixels.data() + b * plane + k * typeSize, type, 0, 1);
    }
  return valid;
}

// Assembles the chip in memory, then copies it to the output format (PNG has no Create(), only
// CreateCopy()). The pixels are copied in with RasterIO rather than lent through MEM's DATAPOINTER
// option, whose pointer-in-a-string interface is easy to get subtly wrong.
void ChipExtractor::Impl::write(const std::string &outputPath, const ChipWindow &w, const RasterInfo &info,
                                const ChipOptions &options, const BandFill &fill) {
  const int size = options.size;
  const auto plane = static_cast<GSpacing>(size) * size * GDALGetDataTypeSizeBytes(type);
  GDALDriver *memDriver = GetGDALDriverManager()->GetDriverByName("MEM");
  GDALDatasetUniquePtr mem(memDriver->Create("", size, size, info.bands, type, nullptr));
  if (!mem) throw std::runtime_error(std::string("cannot allocate an in-memory chip: ") + CPLGetLastErrorMsg());
  for (int b = 0; b < info.bands; ++b) {
    GDALRasterBand *band = mem->GetRasterBand(b + 1);
    if (band->RasterIO(GF_Write, 0, 0, size, size, pixels.data() + b * plane, size, size, type, 0, 0, nullptr) !=
        CE_None)
      throw std::runtime_error(std::string("cannot assemble the chip: ") + CPLGetLastErrorMsg());
    if (fill.hasNoData[static_cast<std::size_t>(b)] || options.maskOutsideRegion)
      band->SetNoDataValue(fill.value[static_cast<std::size_t>(b)]);
    GDALRasterBand *source = dataset->GetRasterBand(b + 1);
    band->SetColorInterpretation(source->GetColorInterpretation());
    // Scale and offset travel with the chip: they make its values physical (radiometry.h).
    int hasScale = 0, hasOffset = 0;
    const double scale = source->GetScale(&hasScale), offset = source->GetOffset(&hasOffset);
    if ((hasScale && scale != 1.0) || (hasOffset && offset != 0.0)) {
      band->SetScale(hasScale ? scale : 1.0);
      band->SetOffset(hasOffset ? offset : 0.0);
    }
  }
  double chipTransform[6] = {w.x0, w.cell, 0.0, w.y1, 0.0, -w.cell};
  mem->SetGeoTransform(chipTransform);
  if (!info.crsWkt.empty()) mem->SetProjection(info.crsWkt.c_str());
  const bool png = options.format == ChipFormat::Png;
  GDALDriver *driver = GetGDALDriverManager()->GetDriverByName(png ? "PNG" : "GTiff");
  char **createOptions =
      png ? CSLSetNameValue(nullptr, "WORLDFILE", "YES") : CSLSetNameValue(nullptr, "COMPRESS", "DEFLATE");
  GDALDatasetUniquePtr out(driver->CreateCopy(outputPath.c_str(), mem.get(), FALSE, createOptions, nullptr, nullptr));
  CSLDestroy(createOptions);
  if (!out) throw std::runtime_error("cannot write chip '" + outputPath + "': " + CPLGetLastErrorMsg());
}

ChipResult ChipExtractor::extract(const RegionRings &rings, const std::string &outputPath) {
  ChipResult result;
  const RegionBounds b = regionBounds(rings);
  if (!b.valid()) return result;
  const ChipWindow w = chipWindow(b, options_.size, options_.groundWindow, info_);
  std::fill(impl_->mask.begin(), impl_->mask.end(), 0);
  std::fill(impl_->pixels.begin(), impl_->pixels.end(), 0);
  if (w.empty()) return result;  // no overlap with the raster
  impl_->read(w, info_, options_.size);
  const BandFill fill = bandFill(*impl_->dataset, info_);
  const std::size_t valid = impl_->maskInvalid(rings, w, info_, options_, fill);
  result.validFraction = static_cast<double>(valid) / (static_cast<double>(options_.size) * options_.size);
  if (valid == 0) return result;
  impl_->write(outputPath, w, info_, options_, fill);
  result.written = true;
  return result;
}

bool imageIsReadable(const std::string &path) {
  GDALAllRegister();
  GDALDatasetUniquePtr ds;
  {
    CPLErrorHandlerPusher quiet(CPLQuietErrorHandler);
    ds.reset(GDALDataset::Open(path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY));
  }
  return ds && ds->GetRasterCount() > 0 && ds->GetRasterXSize() > 0 && ds->GetRasterYSize() > 0;
}

int automaticChipSize(const std::vector<RegionRings> &rings, const std::array<double, 6> &geoTransform,
                      double groundWindow) {
  const double pixelX = std::fabs(geoTransform[1]), pixelY = std::fabs(geoTransform[5]);
  std::vector<double> spans;
  if (groundWindow > 0 && pixelX > 0 && pixelY > 0)
    spans.push_back(std::max(groundWindow / pixelX, groundWindow / pixelY));
  for (const RegionRings &region : rings) {
    if (groundWindow > 0) break;
    const RegionBounds b = regionBounds(region);
    if (b.valid() && pixelX > 0 && pixelY > 0)
      spans.push_back(std::max((b.maxX - b.minX) / pixelX, (b.maxY - b.minY) / pixelY));
  }
  if (spans.empty()) return 256;
  std::nth_element(spans.begin(), spans.begin() + static_cast<std::ptrdiff_t>(spans.size() / 2), spans.end());
  const double wanted = 2.0 * spans[spans.size() / 2];
  const int rounded = 32 * static_cast<int>(std::ceil(std::min(wanted, 256.0) / 32.0));
  return std::clamp(rounded, 64, 256);
}

}  // namespace musecl
