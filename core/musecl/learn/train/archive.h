// Scalars in a model archive (model_file.h): what the model file and each view write next to
// their tensors. Internal header (LibTorch).
#pragma once

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

}  // namespace musecl::train
