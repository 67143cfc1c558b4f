// What the LibTorch runtime of this process offers, for the provider's version line and logs.
// The only core API that every build has; it keeps <torch/...> out of the Qt translation units.
#pragma once

#include <string>

namespace musecl {

struct TorchRuntimeInfo {
  std::string torchVersion;  // e.g. "1.13.1"
  bool cudaAvailable = false;
  int cudaDeviceCount = 0;
  int threads = 1;  // torch intra-op threads currently configured
};

TorchRuntimeInfo torchRuntimeInfo();

// "LibTorch 1.13.1, CPU only (2 threads)" or "LibTorch 2.4.0, CUDA: 1 device(s), 16 threads".
std::string describeTorchRuntime(const TorchRuntimeInfo &info);

}  // namespace musecl
