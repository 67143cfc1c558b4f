#include "musecl/learn/train/torch_runtime.h"

// Narrow includes on purpose: <torch/torch.h> costs ~30 s and 1.5 GB per unit on CI machines.
#include <ATen/Parallel.h>
#include <torch/cuda.h>
#include <torch/version.h>

namespace musecl {

TorchRuntimeInfo torchRuntimeInfo() {
  TorchRuntimeInfo info;
  // TORCH_VERSION (a string) exists only from 2.x; the numeric parts exist in 1.13 and 2.x.
  info.torchVersion = std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR) + "." +
                      std::to_string(TORCH_VERSION_PATCH);
  info.cudaAvailable = torch::cuda::is_available();
  info.cudaDeviceCount = info.cudaAvailable ? static_cast<int>(torch::cuda::device_count()) : 0;
  info.threads = at::get_num_threads();
  return info;
}

std::string describeTorchRuntime(const TorchRuntimeInfo &info, bool withThreads) {
  std::string text = "LibTorch " + info.torchVersion + ", ";
  text += info.cudaAvailable ? "CUDA: " + std::to_string(info.cudaDeviceCount) + " device(s)" : std::string("CPU only");
  if (withThreads) text += ", " + std::to_string(info.threads) + " thread(s)";
  return text;
}

}  // namespace musecl
