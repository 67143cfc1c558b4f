// Data-parallel cost of the remote-sensing encoder (ResNet-18 + 128-d head, 11.2 M parameters):
//  1. measured: the gradient all-reduce of one training step (musecl's bucketed c10d Gloo sum,
//     the trainer's own code) between WORLD ranks on loopback, as processes of this program;
//  2. measured: the compute of one step (forward + backward of the triplet loss at 256 px) per
//     image on this machine, times the distinct images of a 32-triplet batch;
//  3. projected, and labelled so: step time and speed-up on 2-16 machines, where each machine
//     computes 1/N of the batch and the all-reduce is a ring (each rank sends and receives
//     2 (N-1)/N of the gradient bytes), over the loopback rate measured in (1) and over 1 and 10
//     Gbit/s links. The projection ignores per-message latency and stragglers, so it is an upper
//     bound on the speed-up.
// Builds with LibTorch alone.
//
// Usage: bench_allreduce [world, default 2] [steps, default 10] [distinct images per batch, default 80]
#include "musecl/learn/train/distributed.h"
#include "musecl/learn/nn/encoders.h"
#include "musecl/learn/nn/fusion.h"
#include "musecl/learn/train/data_parallel.h"

#include "loopback_processes.h"

#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>
#include <string>
#include <vector>

using Clock = std::chrono::steady_clock;
using namespace musecl;

namespace {

double seconds(Clock::time_point from) { return std::chrono::duration<double>(Clock::now() - from).count(); }

// A rank: joins the job, then times `steps` gradient all-reduces (after 2 untimed ones) and writes
// the median seconds to `out`.
int rankMain(int rank, int world, const std::string &rendezvous, int steps, const std::string &out) {
  at::set_num_threads(1);
  DistributedOptions o;
  o.worldSize = world;
  o.rank = rank;
  o.rendezvous = rendezvous;
  o.timeoutSeconds = 120;
  const train::DataParallel dp(o, torch::kCPU);
  nn::ImageEncoder encoder(nn::Backbone::ResNet18, 128);
  for (const torch::Tensor &p : encoder->parameters()) p.mutable_grad() = torch::randn_like(p);
  std::vector<double> times;
  for (int s = 0; s < steps + 2; ++s) {
    dp.barrier("bench");
    const auto t = Clock::now();
    dp.sumGradients(encoder->parameters(), "bench");
    if (s >= 2) times.push_back(seconds(t));
  }
  std::sort(times.begin(), times.end());
  if (rank == 0) std::ofstream(out) << times[times.size() / 2];
  return 0;
}

double measureAllReduce(int world, int steps) {
  const std::string rendezvous = "tcp://127.0.0.1:" + std::to_string(musecl::loopback::freeLoopbackPort());
  const std::string out =
      (std::filesystem::temp_directory_path() / ("musecl_bench_allreduce_" + std::to_string(::getpid()))).string();
  std::vector<pid_t> pids;
  for (int r = 0; r < world; ++r) {
    const pid_t pid = musecl::loopback::spawnSelf(
        {"--rank", std::to_string(r), std::to_string(world), rendezvous, std::to_string(steps), out});
    if (pid < 0) return -1;
    pids.push_back(pid);
  }
  bool ok = true;
  for (pid_t pid : pids) ok = musecl::loopback::waitExit(pid, std::chrono::seconds(3600)) == 0 && ok;
  double t = -1;
  std::ifstream(out) >> t;
  std::filesystem::remove(out);
  return ok ? t : -1;
}

// Forward + backward of the triplet loss on `images` distinct 256 px images, seconds per image.
double computePerImage(int images, int repeats) {
  at::set_num_threads(std::max(1, static_cast<int>(std::thread::hardware_concurrency())));
  torch::manual_seed(1);
  nn::ImageEncoder encoder(nn::Backbone::ResNet18, 128);
  encoder->train();
  const torch::Tensor x = torch::rand({images, 3, 256, 256});
  const int64_t third = images / 3;
  std::vector<double> times;
  for (int r = 0; r < repeats + 1; ++r) {
    encoder->zero_grad();
    const auto t = Clock::now();
    const torch::Tensor e = encoder->forward(x);
    nn::tripletLoss(e.slice(0, 0, third), e.slice(0, third, 2 * third), e.slice(0, 2 * third, 3 * third), true, 5.0)
        .backward();
    if (r > 0) times.push_back(seconds(t) / images);
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

}  // namespace

int main(int argc, char **argv) {
  if (argc > 1 && std::string(argv[1]) == "--rank")
    return rankMain(std::atoi(argv[2]), std::atoi(argv[3]), argv[4], std::atoi(argv[5]), argv[6]);
  const int world = argc > 1 ? std::atoi(argv[1]) : 2;
  const int steps = argc > 2 ? std::atoi(argv[2]) : 10;
  const int batchImages = argc > 3 ? std::atoi(argv[3]) : 80;
  if (!distributedAvailable()) {
    std::fprintf(stderr, "this build has no c10d Gloo backend\n");
    return 1;
  }
  nn::ImageEncoder probe(nn::Backbone::ResNet18, 128);
  const double bytes = static_cast<double>(nn::parameterCount(*probe)) * 4.0;
  const double allReduce = measureAllReduce(world, steps);
  if (allReduce <= 0) {
    std::fprintf(stderr, "the all-reduce ranks failed\n");
    return 1;
  }
  const double perImage = computePerImage(12, 3);
  const double compute = perImage * batchImages;
  // Ring all-reduce: each rank moves 2 (N-1)/N of the bytes; the loopback rate is what (1) achieved.
  const double loopbackRate = 2.0 * (world - 1) / world * bytes / allReduce;
  std::printf("ResNet-18 + 128-d head: %.1f M parameters, %.1f MB of gradients per step\n", bytes / 4e6, bytes / 1e6);
  std::printf(
      "measured: gradient all-reduce, %d ranks on loopback (1 thread each): %.3f s per step (median of %d), %.2f Gbit/s effective\n",
      world, allReduce, steps, loopbackRate * 8 / 1e9);
  std::printf(
      "measured: compute, forward + backward at 256 px: %.3f s per image, %.2f s per step of %d distinct images (%d threads)\n",
      perImage, compute, batchImages, at::get_num_threads());
  std::printf(
      "\nPROJECTION (not measured): one step of %d images split over N machines like this one, ring all-reduce\n",
      batchImages);
  std::printf(
      "| machines | compute per step (s) | all-reduce, loopback rate (s) | speed-up | all-reduce, 10 Gbit/s (s) | speed-up | all-reduce, 1 Gbit/s (s) | speed-up |\n");
  std::printf("|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (const int n : {1, 2, 4, 8, 16}) {
    const double c = compute / n;
    auto ring = [&](double rate) { return n == 1 ? 0.0 : 2.0 * (n - 1) / n * bytes / rate; };
    const double a = ring(loopbackRate), b = ring(10e9 / 8), g = ring(1e9 / 8);
    std::printf("| %d | %.2f | %.3f | %.1fx | %.3f | %.1fx | %.3f | %.1fx |\n", n, c, a, compute / (c + a), b,
                compute / (c + b), g, compute / (c + g));
  }
  return 0;
}
