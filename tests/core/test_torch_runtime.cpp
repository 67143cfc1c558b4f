#include "musecl/learn/train/torch_runtime.h"

#include <gtest/gtest.h>

TEST(TorchRuntime, ReportsAVersionAndAConsistentDeviceCount) {
  const musecl::TorchRuntimeInfo info = musecl::torchRuntimeInfo();
  EXPECT_FALSE(info.torchVersion.empty());
  EXPECT_EQ(info.torchVersion.find('.') != std::string::npos, true);
  EXPECT_GE(info.threads, 1);
  if (!info.cudaAvailable) {
    EXPECT_EQ(info.cudaDeviceCount, 0);
  }
  const std::string text = musecl::describeTorchRuntime(info);
  EXPECT_NE(text.find("LibTorch " + info.torchVersion), std::string::npos) << text;
}
