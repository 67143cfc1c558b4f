// GDAL's side of scene features: see scene_raster.h.
#include "musecl/geo/scene_raster.h"

#include "musecl/geo/raster_bands.h"  // BandCalibration

#include <cpl_error.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>

namespace musecl {

GdalScene::GdalScene(const std::string &path, const Radiometry &radiometry) : path_(path), radiometry_(radiometry) {
  GDALAllRegister();
  CPLErrorHandlerPusher quiet(CPLQuietErrorHandler);
  ds_.reset(GDALDataset::Open(path.c_str(), GDAL_OF_RASTER | GDAL_OF_READONLY));
  if (!ds_) throw std::runtime_error("cannot read raster '" + path + "': " + CPLGetLastErrorMsg());
  if (ds_->GetGeoTransform(transform_) == CE_None && (transform_[2] != 0.0 || transform_[4] != 0.0))
    throw std::runtime_error("raster '" + path + "' is rotated; warp it to a north-up grid first (e.g. gdalwarp)");
  width_ = ds_->GetRasterXSize();
  height_ = ds_->GetRasterYSize();
  for (const BandScaling &c : radiometry_.channels) {
    if (c.band < 1 || c.band > ds_->GetRasterCount())
      throw std::runtime_error("raster '" + path + "' has " + std::to_string(ds_->GetRasterCount()) +
                               " band(s); band " + std::to_string(c.band) + " was asked for");
    const BandCalibration calibration(*ds_->GetRasterBand(c.band));
    scale_.push_back(calibration.scale / (c.hi - c.lo));
    offset_.push_back((calibration.offset - c.lo) / (c.hi - c.lo));
  }
}

std::string GdalScene::wkt() const {
  const OGRSpatialReference *srs = ds_->GetSpatialRef();
  if (!srs) return {};
  char *text = nullptr;
  srs->exportToWkt(&text);
  std::string out = text ? text : "";
  CPLFree(text);
  return out;
}

void GdalScene::read(int x0, int y0, int w, int h, float *chw, std::uint8_t *valid) const {
  const auto n = static_cast<std::size_t>(w) * static_cast<std::size_t>(h);
  std::fill(chw, chw + n * radiometry_.channels.size(), 0.0f);
  std::fill(valid, valid + n, 0);
  // The part of the window on the scene.
  const int ax = std::max(0, x0), ay = std::max(0, y0);
  const int bx = std::min(width_, x0 + w), by = std::min(height_, y0 + h);
  if (bx <= ax || by <= ay) return;
  const int rw = bx - ax, rh = by - ay;
  const auto rn = static_cast<std::size_t>(rw) * static_cast<std::size_t>(rh);
  all_.assign(rn, 1);
  plane_.resize(rn);
  mask_.resize(rn);
  for (std::size_t c = 0; c < radiometry_.channels.size(); ++c) {
    GDALRasterBand *band = ds_->GetRasterBand(radiometry_.channels[c].band);
    if (band->RasterIO(GF_Read, ax, ay, rw, rh, plane_.data(), rw, rh, GDT_Float32, 0, 0, nullptr) != CE_None)
      throw std::runtime_error("reading raster '" + path_ + "' failed: " + CPLGetLastErrorMsg());
    const bool masked = (band->GetMaskFlags() & GMF_ALL_VALID) == 0;
    if (masked && band->GetMaskBand()->RasterIO(GF_Read, ax, ay, rw, rh, mask_.data(), rw, rh, GDT_Byte, 0, 0,
                                                nullptr) != CE_None)
      throw std::runtime_error("reading the mask of raster '" + path_ + "' failed: " + CPLGetLastErrorMsg());
    float *out = chw + c * n;
    for (int j = 0; j < rh; ++j)
      for (int i = 0; i < rw; ++i) {
        const std::size_t p = static_cast<std::size_t>(j) * static_cast<std::size_t>(rw) + static_cast<std::size_t>(i);
        const float v = plane_[p];
        if ((masked && mask_[p] == 0) || !std::isfinite(v)) {
          all_[p] = 0;
          continue;
        }
        out[static_cast<std::size_t>(ay - y0 + j) * static_cast<std::size_t>(w) +
            static_cast<std::size_t>(ax - x0 + i)] = static_cast<float>(v * scale_[c] + offset_[c]);
      }
  }
  for (int j = 0; j < rh; ++j)
    for (int i = 0; i < rw; ++i)
      valid[static_cast<std::size_t>(ay - y0 + j) * static_cast<std::size_t>(w) +
            static_cast<std::size_t>(ax - x0 + i)] =
          all_[static_cast<std::size_t>(j) * static_cast<std::size_t>(rw) + static_cast<std::size_t>(i)];
  // An invalid pixel reads 0 in every channel, whatever one band held there.
  for (std::size_t p = 0; p < n; ++p)
    if (!valid[p])
      for (std::size_t c = 0; c < radiometry_.channels.size(); ++c) chw[c * n + p] = 0.0f;
}

FeatureRasterFile::FeatureRasterFile(const std::string &path, const GdalScene &scene, int stride, int bands)
    : path_(path), partial_(path + ".partial.tif"), bands_(bands) {
  GDALAllRegister();
  GDALDriver *driver = GetGDALDriverManager()->GetDriverByName("GTiff");
  if (!driver) throw std::runtime_error("GDAL has no GTiff driver");
  width_ = (scene.width() + stride - 1) / stride;
  height_ = (scene.height() + stride - 1) / stride;
  char **options = nullptr;
  options = CSLSetNameValue(options, "TILED", "YES");
  options = CSLSetNameValue(options, "COMPRESS", "DEFLATE");
  options = CSLSetNameValue(options, "INTERLEAVE", "PIXEL");
  options = CSLSetNameValue(options, "BIGTIFF", "IF_SAFER");
  ds_.reset(driver->Create(partial_.c_str(), width_, height_, bands, GDT_Float32, options));
  CSLDestroy(options);
  if (!ds_) throw std::runtime_error("cannot create the feature raster '" + path + "': " + CPLGetLastErrorMsg());
  const double *t = scene.geoTransform();
  double gt[6] = {t[0], t[1] * stride, 0, t[3], 0, t[5] * stride};
  ds_->SetGeoTransform(gt);
  const std::string wkt = scene.wkt();
  if (!wkt.empty()) ds_->SetProjection(wkt.c_str());
  for (int b = 1; b <= bands; ++b) {
    GDALRasterBand *band = ds_->GetRasterBand(b);
    band->SetNoDataValue(std::numeric_limits<double>::quiet_NaN());
    band->SetDescription(("f" + std::to_string(b)).c_str());
  }
}

FeatureRasterFile::~FeatureRasterFile() {
  if (ds_) {
    ds_.reset();
    GetGDALDriverManager()->GetDriverByName("GTiff")->Delete(partial_.c_str());
  }
}

void FeatureRasterFile::write(int x0, int y0, int w, int h, const float *bhw) {
  if (ds_->RasterIO(GF_Write, x0, y0, w, h, const_cast<float *>(bhw), w, h, GDT_Float32, bands_, nullptr, 0, 0, 0,
                    nullptr) != CE_None)
    throw std::runtime_error("writing the feature raster '" + path_ + "' failed: " + CPLGetLastErrorMsg());
}

void FeatureRasterFile::commit() {
  CPLErrorReset();
  GDALClose(ds_.release());
  if (CPLGetLastErrorType() == CE_Failure)
    throw std::runtime_error("finishing the feature raster '" + path_ + "' failed: " + CPLGetLastErrorMsg());
  std::remove((path_ + ".aux.xml").c_str());
  if (std::rename(partial_.c_str(), path_.c_str()) != 0) {
    std::remove(partial_.c_str());
    throw std::runtime_error("cannot move the feature raster into place at '" + path_ + "'");
  }
}

}  // namespace musecl
