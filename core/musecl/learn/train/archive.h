// Scalars in a model archive (model_file.h): what the model file and each view write next to
// their tensors. Internal header (LibTorch).
#pragma once

#include "musecl/radiometry.h"

#include <torch/torch.h>

#include <cstdint>
#include <string>

namespace musecl::train {

inline void writeString(torch::serialize::OutputArchive &a, const std::string &key, const std::string &value) {
  a.write(key, c10::IValue(value));
}
inline void writeInt(torch::serialize::OutputArchive &a, const std::string &key, std::int64_t value) {
  a.write(key, c10::IValue(value));
}
inline void writeDouble(torch::serialize::OutputArchive &a, const std::string &key, double value) {
  a.write(key, c10::IValue(value));
}

inline std::string readString(torch::serialize::InputArchive &a, const std::string &key) {
  c10::IValue v;
  a.read(key, v);
  return v.toStringRef();
}
inline std::int64_t readInt(torch::serialize::InputArchive &a, const std::string &key) {
  c10::IValue v;
  a.read(key, v);
  return v.toInt();
}
inline double readDouble(torch::serialize::InputArchive &a, const std::string &key) {
  c10::IValue v;
  a.read(key, v);
  return v.toDouble();
}

// A radiometry as three lists, `<prefix>bands`, `<prefix>lo` and `<prefix>hi` (the model file's
// chips and the scene encoder keep theirs alike).
inline void writeRadiometry(torch::serialize::OutputArchive &a, const std::string &prefix, const Radiometry &r) {
  std::vector<std::int64_t> bands;
  std::vector<double> lo, hi;
  for (const BandScaling &c : r.channels) {
    bands.push_back(c.band);
    lo.push_back(c.lo);
    hi.push_back(c.hi);
  }
  a.write(prefix + "bands", c10::IValue(bands));
  a.write(prefix + "lo", c10::IValue(lo));
  a.write(prefix + "hi", c10::IValue(hi));
}

// What writeRadiometry wrote; false (and `r` untouched) when the archive has none. Throws
// std::runtime_error starting with `what` ("the remote-sensing radiometry") when the lists
// disagree in length or a channel has no band or an empty range.
inline bool readRadiometry(torch::serialize::InputArchive &a, const std::string &prefix, const std::string &what,
                           Radiometry &r) {
  c10::IValue bands, lo, hi;
  if (!a.try_read(prefix + "bands", bands) || !a.try_read(prefix + "lo", lo) || !a.try_read(prefix + "hi", hi))
    return false;
  const auto b = bands.toIntVector();
  const auto l = lo.toDoubleVector(), h = hi.toDoubleVector();
  if (b.empty() || l.size() != b.size() || h.size() != b.size())
    throw std::runtime_error(what + "'s band list is inconsistent");
  r.channels.clear();
  for (std::size_t c = 0; c < b.size(); ++c) {
    if (b[c] < 1 || !(h[c] > l[c]))
      throw std::runtime_error(what + " of channel " + std::to_string(c + 1) + " is invalid");
    r.channels.push_back({static_cast<int>(b[c]), l[c], h[c]});
  }
  return true;
}

}  // namespace musecl::train
