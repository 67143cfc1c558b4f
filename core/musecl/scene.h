// A raster scene as the scene-feature learner sees it (learn/views/scene_features/), and where its
// feature raster goes. Standard types only: the learning core reads pixels through these
// interfaces and the GDAL side (geo/scene_raster.h) implements them, so that the learning code
// still builds where there is no GDAL.
#pragma once

#include <cstdint>

namespace musecl {

class SceneSource {
 public:
  virtual ~SceneSource() = default;
  virtual int width() const = 0;
  virtual int height() const = 0;
  virtual int channels() const = 0;
  // The window [x0, x0 + w) x [y0, y0 + h) as channels x h x w floats scaled by the scene's
  // radiometry (about 0..1), and valid[h x w]: 1 where every channel has a value. Parts of the
  // window outside the scene are invalid (0). Throws std::runtime_error naming the file on a read
  // error.
  virtual void read(int x0, int y0, int w, int h, float *chw, std::uint8_t *valid) const = 0;
};

class FeatureSink {
 public:
  virtual ~FeatureSink() = default;
  // A block of the feature raster at output pixel (x0, y0): bands x h x w values, NaN where the
  // scene has too few valid pixels.
  virtual void write(int x0, int y0, int w, int h, const float *bhw) = 0;
};

}  // namespace musecl
