// GDAL's side of scene features (musecl/scene.h): a raster read as the scene encoder's scaled
// channels, window by window, and the feature raster written as a tiled GeoTIFF.
#pragma once

#include "musecl/radiometry.h"
#include "musecl/scene.h"

#include <gdal_priv.h>

#include <string>
#include <vector>

namespace musecl {

// Channel c is band radiometry.channels[c].band in physical values (band scale and offset applied),
// mapped from [lo, hi] to [0, 1]; nodata, masked and non-finite pixels are invalid and read as 0.
// Throws std::runtime_error naming the file when it cannot be opened, is rotated or lacks a band.
class GdalScene final : public SceneSource {
 public:
  GdalScene(const std::string &path, const Radiometry &radiometry);
  int width() const override { return width_; }
  int height() const override { return height_; }
  int channels() const override { return static_cast<int>(radiometry_.channels.size()); }
  void read(int x0, int y0, int w, int h, float *chw, std::uint8_t *valid) const override;
  const double *geoTransform() const { return transform_; }
  std::string wkt() const;

 private:
  std::string path_;
  Radiometry radiometry_;
  GDALDatasetUniquePtr ds_;
  int width_ = 0, height_ = 0;
  double transform_[6] = {0, 1, 0, 0, 0, -1};
  std::vector<double> scale_, offset_;
  mutable std::vector<float> plane_;
  mutable std::vector<std::uint8_t> mask_;
  mutable std::vector<std::uint8_t> all_;  // valid in every channel; reused: read() is called per training tile
};

// A Float32 GeoTIFF (tiled, DEFLATE, NaN nodata) of `bands` bands named f1, f2, ..., each pixel
// `stride` scene pixels, in the scene's CRS. Written beside `path` and moved into place by
// commit(): an existing file is replaced only by a complete one; without commit() nothing is left.
class FeatureRasterFile final : public FeatureSink {
 public:
  FeatureRasterFile(const std::string &path, const GdalScene &scene, int stride, int bands);
  ~FeatureRasterFile() override;
  void write(int x0, int y0, int w, int h, const float *bhw) override;
  void commit();
  int width() const { return width_; }
  int height() const { return height_; }

 private:
  std::string path_, partial_;
  GDALDatasetUniquePtr ds_;
  int bands_ = 0, width_ = 0, height_ = 0;
};

}  // namespace musecl
