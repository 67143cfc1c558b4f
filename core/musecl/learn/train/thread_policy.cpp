// See thread_policy.h.
#include "musecl/learn/train/thread_policy.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>

namespace musecl {

int threadsForFreeCores(const CpuLoad &load) {
  const int nearest = static_cast<int>(std::floor(load.free() + 0.5));
  return std::clamp(nearest, 1, std::max(1, load.cores));
}

ThreadPolicy chooseThreadPolicy(int requested, const CpuLoad &load) {
  ThreadPolicy p;
  p.requested = std::max(0, requested);
  p.load = load;
  p.threads = requested > 0 ? requested : threadsForFreeCores(load);
  return p;
}

std::string ThreadPolicy::describe() const {
  if (!automatic()) return std::to_string(threads) + " (THREADS)";
  return std::to_string(threads) + " (automatic: the free cores; " + describeCpuLoad(load) + ")";
}

bool adaptToLoad(ThreadPolicy &policy, const CpuLoad &load) {
  if (!policy.automatic() || !load.measured) return false;
  const int wanted = threadsForFreeCores(load);
  if (wanted == policy.threads || wanted != policy.pending) {
    policy.pending = wanted == policy.threads ? 0 : wanted;
    return false;
  }
  policy.pending = 0;
  policy.threads = wanted;
  policy.load = load;
  ++policy.changes;
  return true;
}

void followFreeCores(ThreadPolicy &policy, const std::function<void(const std::string &)> &say,
                     std::chrono::milliseconds interval) {
  if (!policy.automatic()) return;
  const std::optional<CpuLoad> load = cpuLoadIfDue(interval);
  if (!load || !adaptToLoad(policy, *load)) return;
  at::set_num_threads(policy.threads);
  if (say)
    say("Threads: " + describeCpuLoad(*load) + "; continuing on " + std::to_string(policy.threads) + " thread(s)");
}

}  // namespace musecl
