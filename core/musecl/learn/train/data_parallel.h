// Data-parallel training over LibTorch's c10d: the process group of a job (Gloo on CPU, NCCL on
// CUDA when the build has it), and the few collectives the trainer needs. Each rank computes its
// shard of a batch with its loss scaled by its share of the batch's items, so that summing the
// gradients over ranks gives the gradient of the whole batch in one process (the same total,
// summed in another order), with one exception: batch-norm layers normalise each encoder pass by
// its own images' statistics, and a rank's passes hold only its shard (as in PyTorch's DDP
// without SyncBatchNorm). With passes of one triplet (IMAGES_PER_PASS 3) the two are identical.
// Internal header (LibTorch).
#pragma once

#include "musecl/learn/train/distributed.h"

#include <torch/torch.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace musecl::train {

class DataParallel {
 public:
  DataParallel() = default;  // one process: every operation is a no-op
  // Joins the job (rendezvous, then Gloo/NCCL connections to every rank). std::runtime_error
  // naming the rendezvous when the others do not arrive within the timeout.
  DataParallel(const DistributedOptions &options, const torch::Device &device);

  bool active() const { return impl_ != nullptr; }
  int rank() const;
  int worldSize() const;
  std::string backend() const;  // "Gloo", "NCCL"; "" when not active

  // This rank's contiguous part of the items [from, to); part sizes differ by at most one.
  std::pair<std::size_t, std::size_t> shard(std::size_t from, std::size_t to) const;

  // Sums the parameters' gradients over the ranks, flattened into buckets of about 25 MiB that
  // travel concurrently. A parameter without a gradient on this rank counts as zero.
  void sumGradients(const std::vector<torch::Tensor> &parameters, const std::string &where) const;
  // Replaces floating tensors (batch-norm running statistics) by their mean over the ranks.
  void averageTensors(const std::vector<torch::Tensor> &tensors, const std::string &where) const;
  // Copies rank 0's tensors into every rank's, in place (same shapes on every rank).
  void broadcast(const std::vector<torch::Tensor> &tensors, const std::string &where) const;
  double sum(double value, const std::string &where) const;
  // Sums `value` over the ranks, and stops every rank together when any of them failed: a rank
  // with a `failure` rethrows it, the others throw an error naming the failed rank(s) and `where`.
  double sumUnlessFailed(double value, const std::string &failure, const std::string &where) const;
  // Every rank waits for all the others.
  void barrier(const std::string &where) const;

  struct Impl;

 private:
  std::vector<double> sumDoubles(std::vector<double> values, const std::string &where) const;
  std::shared_ptr<Impl> impl_;
};

// Part `rank` of `world` contiguous parts of [from, to) whose sizes differ by at most one.
std::pair<std::size_t, std::size_t> shardOf(std::size_t from, std::size_t to, int rank, int world);

// Floating buffers of a module (batch-norm running mean and variance; not the integer step count).
std::vector<torch::Tensor> floatingBuffers(const torch::nn::Module &module);

}  // namespace musecl::train
