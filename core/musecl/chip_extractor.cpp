#include "musecl/chip_extractor.h"

#include <gdal.h>
#include <gdal_priv.h>
#include <cpl_string.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

namespace musecl {

struct ChipExtractor::Impl {
  GDALDataset *dataset = nullptr;
  GDALDataType type = GDT_Byte;
  std::vector<unsigned char> pixels;  // bands * size * size, band-sequential
  std::vector<unsigned char> mask;    // size * size, 0 = invalid
};

ChipExtractor::ChipExtractor(const std::string &rasterPath, const ChipOptions &options)
    : impl_(std::make_unique<Impl>()), options_(options) {
  GDALAllRegister();
  if (options.size < 8 || options.size > 4096)
    throw std::runtime_error("chip size must be between 8 and 4096 pixels, got " + std::to_string(options.size));
  impl_->dataset = GDALDataset::Open(rasterPath.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY);
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
    throw std::runtime_error("raster '" + rasterPath + "' is rotated; warp it to a north-up grid first (e.g. gdalwarp)");
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
  impl_->pixels.resize(n * static_cast<std::size_t>(info_.bands) * static_cast<std::size_t>(GDALGetDataTypeSizeBytes(impl_->type)));
  impl_->mask.resize(n);
}


ChipExtractor::~ChipExtractor() {
  if (impl_ && impl_->dataset) GDALClose(impl_->dataset);
}

ChipResult ChipExtractor::extract(const RegionRings &rings, const std::string &outputPath) {
  ChipResult result;
  const int size = options_.size;
  const auto &gt = info_.geoTransform;
  const RegionBounds b = regionBounds(rings);
  if (!b.valid()) return result;
  const double minX = b.minX, minY = b.minY, maxX = b.maxX, maxY = b.maxY;
  // Square window around the box; a degenerate box gets one source pixel.
  const double half = options_.groundWindow > 0 ? options_.groundWindow / 2.0
                                                : std::max({maxX - minX, maxY - minY, std::fabs(gt[1]), std::fabs(gt[5])}) / 2.0;
  const double cx = (minX + maxX) / 2.0, cy = (minY + maxY) / 2.0;
  const double wx0 = cx - half, wy1 = cy + half;
  const double cell = 2.0 * half / size;  // chip pixel size in CRS units

  // Chip columns/rows whose pixel centres fall inside the raster.
  auto rasterCol = [&](double x) { return (x - gt[0]) / gt[1]; };
  auto rasterRow = [&](double y) { return (y - gt[3]) / gt[5]; };
  int c0 = size, c1 = 0, r0 = size, r1 = 0;
  for (int i = 0; i < size; ++i) {
    const double px = rasterCol(wx0 + (i + 0.5) * cell);
    if (px >= 0 && px < info_.width) {
      c0 = std::min(c0, i);
      c1 = std::max(c1, i + 1);
    }
    const double py = rasterRow(wy1 - (i + 0.5) * cell);
    if (py >= 0 && py < info_.height) {
      r0 = std::min(r0, i);
      r1 = std::max(r1, i + 1);
    }
  }
  std::fill(impl_->mask.begin(), impl_->mask.end(), 0);
  const int typeSize = GDALGetDataTypeSizeBytes(impl_->type);
  const auto plane = static_cast<GSpacing>(size) * size * typeSize;
  std::fill(impl_->pixels.begin(), impl_->pixels.end(), 0);
  if (c0 >= c1 || r0 >= r1) return result;  // no overlap with the raster

  // The raster window (fractional pixels) that maps exactly onto chip columns c0..c1, rows r0..r1.
  double dfX0 = rasterCol(wx0 + c0 * cell), dfX1 = rasterCol(wx0 + c1 * cell);
  double dfY0 = rasterRow(wy1 - r0 * cell), dfY1 = rasterRow(wy1 - r1 * cell);
  if (dfX0 > dfX1) std::swap(dfX0, dfX1);
  if (dfY0 > dfY1) std::swap(dfY0, dfY1);
  dfX0 = std::max(0.0, dfX0);
  dfY0 = std::max(0.0, dfY0);
  dfX1 = std::min(static_cast<double>(info_.width), dfX1);
  dfY1 = std::min(static_cast<double>(info_.height), dfY1);
  const int nX0 = static_cast<int>(std::floor(dfX0)), nY0 = static_cast<int>(std::floor(dfY0));
  const int nXSize = std::max(1, std::min(info_.width, static_cast<int>(std::ceil(dfX1))) - nX0);
  const int nYSize = std::max(1, std::min(info_.height, static_cast<int>(std::ceil(dfY1))) - nY0);

  GDALRasterIOExtraArg extra;
  INIT_RASTERIO_EXTRA_ARG(extra);
  extra.eResampleAlg = GRIORA_Bilinear;
  extra.bFloatingPointWindowValidity = TRUE;
  extra.dfXOff = dfX0;
  extra.dfYOff = dfY0;
  extra.dfXSize = std::max(dfX1 - dfX0, 1e-6);
  extra.dfYSize = std::max(dfY1 - dfY0, 1e-6);
  const int bufW = c1 - c0, bufH = r1 - r0;
  unsigned char *origin = impl_->pixels.data() + (static_cast<std::size_t>(r0) * size + c0) * typeSize;
  if (impl_->dataset->RasterIO(GF_Read, nX0, nY0, nXSize, nYSize, origin, bufW, bufH, impl_->type, info_.bands, nullptr,
                               typeSize, static_cast<GSpacing>(size) * typeSize, plane, &extra) != CE_None)
    throw std::runtime_error(std::string("reading the raster failed: ") + CPLGetLastErrorMsg());

  // Validity: the raster's mask (nodata, alpha), then optionally the region polygon.
  GDALRasterBand *maskBand = impl_->dataset->GetRasterBand(1)->GetMaskBand();
  const bool allValid = (impl_->dataset->GetRasterBand(1)->GetMaskFlags() & GMF_ALL_VALID) != 0;
  if (allValid) {
    for (int j = r0; j < r1; ++j) std::fill_n(impl_->mask.begin() + static_cast<std::ptrdiff_t>(j) * size + c0, bufW, 255);
  } else {
    GDALRasterIOExtraArg nearest = extra;
    nearest.eResampleAlg = GRIORA_NearestNeighbour;
    if (maskBand->RasterIO(GF_Read, nX0, nY0, nXSize, nYSize, impl_->mask.data() + static_cast<std::size_t>(r0) * size + c0,
                           bufW, bufH, GDT_Byte, 1, static_cast<GSpacing>(size), &nearest) != CE_None)
      throw std::runtime_error(std::string("reading the raster mask failed: ") + CPLGetLastErrorMsg());
  }
  std::size_t valid = 0;
  const double fill = info_.hasNoData ? info_.noData : 0.0;
  // Each band keeps its own nodata value (a band's nodata pixels stay nodata in its chip band, and
  // the chip loader leaves them out); bands without one take band 1's fill.
  std::vector<double> bandFill(static_cast<std::size_t>(info_.bands), fill);
  std::vector<bool> bandHasNoData(static_cast<std::size_t>(info_.bands), info_.hasNoData);
  for (int b = 0; b < info_.bands; ++b) {
    int has = 0;
    const double v = impl_->dataset->GetRasterBand(b + 1)->GetNoDataValue(&has);
    if (has) bandFill[static_cast<std::size_t>(b)] = v, bandHasNoData[static_cast<std::size_t>(b)] = true;
  }
  for (int j = 0; j < size; ++j)
    for (int i = 0; i < size; ++i) {
      const std::size_t k = static_cast<std::size_t>(j) * size + i;
      bool ok = impl_->mask[k] != 0;
      if (ok && options_.maskOutsideRegion) ok = pointInRings(rings, {wx0 + (i + 0.5) * cell, wy1 - (j + 0.5) * cell});
      if (ok) {
        ++valid;
        continue;
      }
      for (int b = 0; b < info_.bands; ++b)
        GDALCopyWords64(&bandFill[static_cast<std::size_t>(b)], GDT_Float64, 0, impl_->pixels.data() + b * plane + k * typeSize, impl_->type, 0, 1);
    }
  result.validFraction = static_cast<double>(valid) / (static_cast<double>(size) * size);
  if (valid == 0) return result;

  // Assemble in memory, then copy to the output format (PNG has no Create(), only CreateCopy()).
  // The pixels are copied in with RasterIO rather than lent through MEM's DATAPOINTER option, whose
  // pointer-in-a-string interface is easy to get subtly wrong.
  GDALDriver *memDriver = GetGDALDriverManager()->GetDriverByName("MEM");
  std::unique_ptr<GDALDataset> mem(memDriver->Create("", size, size, info_.bands, impl_->type, nullptr));
  if (!mem) throw std::runtime_error(std::string("cannot allocate an in-memory chip: ") + CPLGetLastErrorMsg());
  for (int b = 0; b < info_.bands; ++b) {
    GDALRasterBand *band = mem->GetRasterBand(b + 1);
    if (band->RasterIO(GF_Write, 0, 0, size, size, impl_->pixels.data() + b * plane, size, size, impl_->type, 0, 0, nullptr) != CE_None)
      throw std::runtime_error(std::string("cannot assemble the chip: ") + CPLGetLastErrorMsg());
    if (bandHasNoData[static_cast<std::size_t>(b)] || options_.maskOutsideRegion) band->SetNoDataValue(bandFill[static_cast<std::size_t>(b)]);
    GDALRasterBand *source = impl_->dataset->GetRasterBand(b + 1);
    band->SetColorInterpretation(source->GetColorInterpretation());
    // Scale and offset travel with the chip: they make its values physical (radiometry.h).
    int hasScale = 0, hasOffset = 0;
    const double scale = source->GetScale(&hasScale), offset = source->GetOffset(&hasOffset);
    if ((hasScale && scale != 1.0) || (hasOffset && offset != 0.0)) {
      band->SetScale(hasScale ? scale : 1.0);
      band->SetOffset(hasOffset ? offset : 0.0);
    }
  }
  double chipTransform[6] = {wx0, cell, 0.0, wy1, 0.0, -cell};
  mem->SetGeoTransform(chipTransform);
  if (!info_.crsWkt.empty()) mem->SetProjection(info_.crsWkt.c_str());

  const bool png = options_.format == ChipFormat::Png;
  GDALDriver *driver = GetGDALDriverManager()->GetDriverByName(png ? "PNG" : "GTiff");
  char **createOptions = png ? CSLSetNameValue(nullptr, "WORLDFILE", "YES") : CSLSetNameValue(nullptr, "COMPRESS", "DEFLATE");
  GDALDataset *out = driver->CreateCopy(outputPath.c_str(), mem.get(), FALSE, createOptions, nullptr, nullptr);
  CSLDestroy(createOptions);
  if (!out) throw std::runtime_error("cannot write chip '" + outputPath + "': " + CPLGetLastErrorMsg());
  GDALClose(out);
  result.written = true;
  return result;
}

bool imageIsReadable(const std::string &path) {
  GDALAllRegister();
  CPLPushErrorHandler(CPLQuietErrorHandler);
  GDALDatasetH ds = GDALOpenEx(path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY, nullptr, nullptr, nullptr);
  CPLPopErrorHandler();
  if (!ds) return false;
  const bool ok = GDALGetRasterCount(ds) > 0 && GDALGetRasterXSize(ds) > 0 && GDALGetRasterYSize(ds) > 0;
  GDALClose(ds);
  return ok;
}

int automaticChipSize(const std::vector<RegionRings> &rings, const std::array<double, 6> &geoTransform, double groundWindow) {
  const double pixelX = std::fabs(geoTransform[1]), pixelY = std::fabs(geoTransform[5]);
  std::vector<double> spans;
  if (groundWindow > 0 && pixelX > 0 && pixelY > 0) spans.push_back(std::max(groundWindow / pixelX, groundWindow / pixelY));
  for (const RegionRings &region : rings) {
    if (groundWindow > 0) break;
    const RegionBounds b = regionBounds(region);
    if (b.valid() && pixelX > 0 && pixelY > 0) spans.push_back(std::max((b.maxX - b.minX) / pixelX, (b.maxY - b.minY) / pixelY));
  }
  if (spans.empty()) return 256;
  std::nth_element(spans.begin(), spans.begin() + static_cast<std::ptrdiff_t>(spans.size() / 2), spans.end());
  const double wanted = 2.0 * spans[spans.size() / 2];
  const int rounded = 32 * static_cast<int>(std::ceil(std::min(wanted, 256.0) / 32.0));
  return std::clamp(rounded, 64, 256);
}

}  // namespace musecl
