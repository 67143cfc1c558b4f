// How much of the machine other processes are using, so that LibTorch's thread count can follow
// the cores that are free rather than the cores that exist. An OpenMP team larger than the free
// cores waits at every barrier for a thread the kernel has not scheduled; on a busy 2-core machine
// that made 2 threads train slower than 1 (BENCHMARKS.md, "A busy machine").
//
// Linux only (/proc/stat and /proc/self/stat, cgroup v2's cpu.max); elsewhere nothing is measured
// and every core counts as free. Under a container's CPU quota /proc/stat still counts the whole
// host, so the quota caps the cores but others' load is the host's. No LibTorch: the learning
// core's thread policy (thread_policy.h) builds on it.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace musecl {

struct CpuLoad {
  int cores = 1;          // the cores this process may run on: its affinity mask, capped by a cgroup CPU quota
  int machineCores = 1;   // the CPUs /proc/stat counts (more than `cores` under taskset or a cgroup)
  double others = 0;      // cores' worth of CPU time used by every other process over the window
  double seconds = 0;     // the window's length
  bool measured = false;  // false: /proc could not be read; `others` is 0
  // The cores left for this process: machineCores - others, at most `cores`, at least 0.
  double free() const;
};

// One reading of the machine's and this process's CPU time counters.
struct CpuTimes {
  std::uint64_t busy = 0;   // all CPUs' non-idle time, in clock ticks
  std::uint64_t total = 0;  // all CPUs' time, idle included, in clock ticks
  std::uint64_t self = 0;   // this process's user + system time, in clock ticks
  int cpus = 0;             // CPUs counted in /proc/stat
  std::chrono::steady_clock::time_point at;
  bool valid = false;
};

CpuTimes readCpuTimes();

// The load of other processes between two readings (`before` taken first). Both /proc files are
// read as whole lines, so their ticks are consistent up to one tick per CPU.
CpuLoad loadBetween(const CpuTimes &before, const CpuTimes &after);

// The load over the recent past, for a decision about to be made (the start of a run). A
// process-wide reading is kept: when the last one is between `minimum` and `stale` old, the load
// since then is returned at once (a block of musecl:embed after the previous one); otherwise the
// calling thread waits `minimum` for a fresh window. Thread-safe.
CpuLoad recentCpuLoad(std::chrono::milliseconds minimum = std::chrono::milliseconds(150),
                      std::chrono::milliseconds stale = std::chrono::seconds(20));

// The load since the process-wide last reading, when that reading is at least `interval` old (it
// is then replaced; the load is unmeasured when either reading failed); nothing when it is
// younger. Never waits: for checks at every progress report.
std::optional<CpuLoad> cpuLoadIfDue(std::chrono::milliseconds interval);

// "others use 0.9 of 2 cores" or "load not measured (no /proc)".
std::string describeCpuLoad(const CpuLoad &load);

}  // namespace musecl
