// What every training stage shares: the run's options, progress/cancel, log and decisions, the
// device, seeds, and the per-view region vectors the stages hand to fusion. Internal header: only
// core translation units include it (it pulls in LibTorch).
#pragma once

#include "musecl/learn/training.h"

#include <torch/torch.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace musecl::train {

class DataParallel;

// The loss's value (one device-to-host copy per batch), or an error naming where it stopped being finite.
double finiteLoss(const torch::Tensor &loss, const std::string &stage, int epoch, int batch);

// A 64-bit mix (splitmix64 finaliser) to derive independent seeds for stages, epochs and batches.
std::uint64_t mix(std::uint64_t a, std::uint64_t b);

// The rotation that best maps `z` onto `reference` (orthogonal Procrustes: U V^T from the SVD of
// z^T reference). Encoders trained from different initial weights learn the same structure up to
// such a rotation, so rotated outputs can be averaged.
torch::Tensor procrustes(const torch::Tensor &z, const torch::Tensor &reference);

// A weight or other option value as the log prints it: the shortest of fixed and exponent form ("%g").
std::string shortNumber(double v);

torch::Device resolveDevice(DeviceChoice choice, std::string &description);

// A tensor read from a model archive. Always into a fresh tensor: InputArchive::read into a defined
// tensor copies the stored bytes into that tensor's storage and dtype.
torch::Tensor readTensor(torch::serialize::InputArchive &archive, const std::string &key);

// Throws std::invalid_argument when a modality's columns do not have one row per region.
void validateTable(const RegionTable &table);

struct Context {
  const TrainingOptions &options;
  const ProgressCallback &progress;
  const LogCallback &log;
  torch::Device device;
  std::vector<EpochLog> &epochLog;
  std::vector<std::string> &decisions;
  double fractionFrom = 0;
  double fractionTo = 1;
  const DataParallel *parallel = nullptr;  // the job this run is a rank of; null: one process
  ThreadPolicy *threads =
      nullptr;  // the run's thread policy (its lease's), followed at each report; null: left as it is
  int run = 0;  // which training of an ensemble (TrainingOptions::runs) this is, 0-based

  // Throws TrainingCancelled when the callback asks to stop. Also where an automatic thread count
  // follows the free cores (at most once a second).
  void report(const std::string &stage, int epoch, int epochs, int batch, int batches, double loss) const;
  // The job this run is a rank of, or an inactive one standing for this process alone.
  const DataParallel &dataParallel() const;
  void say(const std::string &text) const;
  void decide(const std::string &text) const;
  // Moves the progress window to the next `share` of the run.
  void advance(double &cursor, double share) {
    fractionFrom = cursor;
    fractionTo = cursor += share;
  }
};

// One view's vectors for every region: values [N, d] on the CPU (rows of regions without the view
// are zero) and has[r] = 1 where region r has it. Undefined values: the view is absent altogether.
struct ViewVectors {
  torch::Tensor values;
  std::vector<std::uint8_t> has;
  bool defined() const { return values.defined(); }
  std::size_t count() const;
};

using ViewSet = std::array<ViewVectors, kViewCount>;

}  // namespace musecl::train
