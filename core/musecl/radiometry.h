// How remote-sensing chips become the encoder's 0-255 RGB input. Measured once per raster, not
// per chip: a per-chip stretch makes a dark chip and a bright chip of one 16-bit scene look alike,
// and brightness is information (water, asphalt, vegetation). Values are physical: GDAL's band
// scale and offset are applied first, so two deliveries of one scene with different gains (raw
// counts x 4, scale 0.25) give the same chips. Plain data, stored in the model file so that
// `musecl:embed` scales another scene of the same sensor the same way.
#pragma once

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

namespace musecl {

struct BandScaling {
  int band = 1;     // 1-based band number in the raster (and in its chips, which keep every band)
  double lo = 0;    // physical value shown as 0
  double hi = 255;  // physical value shown as 255
};

struct Radiometry {
  std::vector<BandScaling> channels;  // the encoder's inputs in order: R, G, B, or N bands
  bool defined() const { return !channels.empty(); }
  // "bands 4,3,2; band 4 0.012-0.31, ..." for logs.
  std::string describe() const;
  // "4,3,2"
  std::string bandList() const;
};

// Header-only: both the learning core (model files, logs) and the GDAL side use it.

// Empty when `scene` is comparable with `model`; otherwise a sentence naming each band whose
// scene range is far from the model's (an end more than half the model's range away, or a range
// under a third or over three times the model's): embeddings of that scene may not be comparable.
std::string radiometryMismatch(const Radiometry &model, const Radiometry &scene);

namespace radiometry_detail {
inline std::string number(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", v);
  return text;
}
}  // namespace radiometry_detail

inline std::string Radiometry::bandList() const {
  std::string s;
  for (const BandScaling &c : channels) s += (s.empty() ? "" : ",") + std::to_string(c.band);
  return s;
}

inline std::string Radiometry::describe() const {
  std::string s =
      "bands " + bandList() +
      (channels.size() == 3 ? std::string(" as R,G,B") : " as " + std::to_string(channels.size()) + " input channels");
  for (const BandScaling &c : channels)
    s += "; band " + std::to_string(c.band) + " " + radiometry_detail::number(c.lo) + " to " +
         radiometry_detail::number(c.hi);
  return s;
}

inline std::string radiometryMismatch(const Radiometry &model, const Radiometry &scene) {
  std::string out;
  for (std::size_t i = 0; i < model.channels.size() && i < scene.channels.size(); ++i) {
    const BandScaling &m = model.channels[i], &s = scene.channels[i];
    const double range = m.hi - m.lo, sceneRange = s.hi - s.lo;
    const bool far = std::fabs(s.lo - m.lo) > 0.5 * range || std::fabs(s.hi - m.hi) > 0.5 * range ||
                     sceneRange < range / 3 || sceneRange > 3 * range;
    if (far)
      out += (out.empty() ? "" : "; ") + std::string("band ") + std::to_string(s.band) + " spans " +
             radiometry_detail::number(s.lo) + " to " + radiometry_detail::number(s.hi) + " here against " +
             radiometry_detail::number(m.lo) + " to " + radiometry_detail::number(m.hi) + " in training";
  }
  return out;
}

}  // namespace musecl
