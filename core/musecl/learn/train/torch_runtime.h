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

// "LibTorch 1.13.1, CPU only, 2 thread(s)" or "LibTorch 2.4.0, CUDA: 1 device(s), 16 thread(s)";
// without the thread count where it would mislead: the provider's line (each run chooses its own)
// and a run's log (which states its thread policy).
std::string describeTorchRuntime(const TorchRuntimeInfo &info, bool withThreads = true);

}  // namespace musecl
