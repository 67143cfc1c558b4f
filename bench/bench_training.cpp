// Triplet-training throughput of the remote-sensing encoder (ResNet-18, 256 px, 32 triplets per
// batch, 128-d head, margin-ranking loss on L2 distances with margin 5, Adam amsgrad 5e-4), in
// images per second, where one triplet counts as three images:
//  - "same work": the plain loop that bench/pytorch_triplet.py runs in Python (96 images encoded per
//    step), so the two differ only in the language around the same LibTorch;
//  - "pipeline": musecl::trainMuseCL on a synthetic city, with its batch prefetching and
//    one encoding per distinct region per batch (triplets of a batch share regions), once per
//    augmentation level (basic, the default; full; none), with each rate as a ratio of basic's.
// Builds with LibTorch alone (it is part of the MUSECL_LEARNING_ONLY build).
//
// Usage: bench_training [steps, default 4] [threads: a number, auto (the plugin's default policy), default all]
//                      [device cpu|cuda] [batch, default 32]
//                      [images per encoder pass in the pipeline, default the trainer's; 0 = whole batch]
#include "musecl/learn/nn/encoders.h"
#include "musecl/learn/nn/fusion.h"
#include "musecl/learn/training.h"
#include "musecl/learn/train/thread_policy.h"
#include "musecl/learn/train/torch_runtime.h"

#include <torch/torch.h>

#include <chrono>
#include <thread>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

using namespace musecl;
using Clock = std::chrono::steady_clock;

int main(int argc, char **argv) {
  const int steps = argc > 1 ? std::atoi(argv[1]) : 4;
  // The raw loops below run outside any training call, so they set LibTorch's threads themselves;
  // trainMuseCL takes its own lease with the same count, or under "auto" its automatic policy
  // (thread_policy.h), which the raw loop then follows at its start only.
  const bool automatic = argc > 2 && std::string(argv[2]) == "auto";
  const int threads = [automatic, requested = argc > 2 ? std::atoi(argv[2]) : 0] {
    at::set_num_threads(automatic       ? threadsForFreeCores(recentCpuLoad())
                        : requested > 0 ? requested
                                        : std::max(1, static_cast<int>(std::thread::hardware_concurrency())));
    return at::get_num_threads();
  }();
  const bool cuda = argc > 3 && std::string(argv[3]) == "cuda";
  const int batch = argc > 4 ? std::atoi(argv[4]) : 32;
  const int imagesPerPass = argc > 5 ? std::atoi(argv[5]) : TrainingOptions().imagesPerPass;
  const torch::Device device = cuda ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
  std::printf("%s; device %s, %d thread(s), batch %d triplets, 256 px, ResNet-18\n",
              describeTorchRuntime(torchRuntimeInfo()).c_str(), cuda ? "cuda" : "cpu", threads, batch);
  torch::manual_seed(0);

  // Same work as the Python script.
  {
    nn::ImageEncoder encoder(nn::Backbone::ResNet18, 128);
    encoder->to(device);
    encoder->train();
    torch::optim::Adam optimizer(encoder->parameters(), torch::optim::AdamOptions(5e-4).amsgrad(true));
    const auto images = torch::rand({3 * batch, 3, 256, 256}).to(device);
    double seconds = 0;
    for (int step = 0; step <= steps; ++step) {  // step 0 warms up
      const auto started = Clock::now();
      const auto e = encoder->forward(images);
      const auto loss =
          nn::tripletLoss(e.narrow(0, 0, batch), e.narrow(0, batch, batch), e.narrow(0, 2 * batch, batch), true, 5.0);
      optimizer.zero_grad();
      loss.backward();
      optimizer.step();
      if (cuda) torch::cuda::synchronize();
      if (step > 0) seconds += std::chrono::duration<double>(Clock::now() - started).count();
    }
    std::printf("same work (C++ loop): %.1f images/s (%.2f s per step)\n", 3.0 * batch * steps / seconds,
                seconds / steps);
  }

  // The real pipeline on a synthetic city: 2 x batch regions, so each epoch is 2 batches. Run with
  // each augmentation level side by side, so their cost shows as a ratio of one run.
  double basicRate = 0;
  for (const Augmentation level : {Augmentation::Basic, Augmentation::Full, Augmentation::None}) {
    RegionTable city;
    city.poi.categories = {"a", "b", "c"};
    const int regions = 2 * batch;
    for (int r = 0; r < regions; ++r) {
      city.ids.push_back(std::to_string(r));
      city.poi.counts.push_back({double(r % 7), double(r % 5), double(r % 3)});
      city.remoteSensing.chipPaths.push_back("synthetic://" + std::to_string(r));
    }
    const ImageLoader loader = [](const std::string &path, int size, std::vector<std::uint8_t> &chw) {
      std::mt19937 rng(static_cast<unsigned>(std::hash<std::string>()(path)));
      chw.resize(3 * static_cast<std::size_t>(size) * size);
      for (auto &v : chw) v = static_cast<std::uint8_t>(rng() & 0xff);
      return true;
    };
    TrainingOptions o;
    o.imageEpochs = 1 + (steps + 1) / 2;  // the first epoch (2 batches) is the warm-up
    o.fusionEpochs = 0;
    o.batchSize = batch;
    o.device = cuda ? DeviceChoice::Cuda : DeviceChoice::Cpu;
    o.threads = automatic ? 0 : threads;
    o.imagesPerPass = imagesPerPass;
    o.augmentation = level;
    const TrainingResult r = trainMuseCL(city, o, loader, {}, {}, "/tmp/bench_training.musecl");
    if (automatic) std::printf("pipeline threads: %s\n", r.threadPolicy.c_str());
    double seconds = 0;
    int epochs = 0;
    for (const EpochLog &e : r.log)
      if (e.stage == "remote sensing" && e.epoch > 1) {
        seconds += e.seconds;
        ++epochs;
      }
    const double rate = 3.0 * regions * epochs / seconds;
    if (level == Augmentation::Basic) basicRate = rate;
    const char *name = level == Augmentation::None ? "none" : level == Augmentation::Basic ? "basic" : "full";
    std::printf(
        "pipeline (trainMuseCL, %s, augmentation %s): %.1f images/s (%d triplets per epoch, %.2f s per epoch; %.3f x the basic rate)\n",
        imagesPerPass > 0 ? ("at most " + std::to_string(imagesPerPass) + " images per pass").c_str()
                          : "whole batch per pass",
        name, rate, regions, seconds / epochs, rate / basicRate);
    std::remove("/tmp/bench_training.musecl");
  }
  return 0;
}
