// How many LibTorch threads a run uses. THREADS (> 0) fixes that count for the whole run.
// Automatic (0): the cores other processes leave free, measured when the run starts and again at
// most once a second at its progress reports (every batch, epoch or step), so a program that
// starts or stops beside a training moves it after two agreeing readings. An OpenMP team larger
// than the free cores waits at every barrier for a thread the kernel has not scheduled, and its
// idle workers spin on the cores another program needs (BENCHMARKS.md, "A busy machine"). The
// wait policy cannot be changed instead: QGIS has loaded libgomp before any plugin. The counts
// chosen are logged. No LibTorch type here.
#pragma once

#include "musecl/learn/train/cpu_load.h"

#include <chrono>
#include <functional>
#include <string>

namespace musecl {

struct ThreadPolicy {
  int requested = 0;  // THREADS: > 0 fixes the count for the whole run
  int threads = 1;    // the count in force
  CpuLoad load;       // the reading the count was chosen from (unmeasured under a fixed THREADS)
  int changes = 0;    // how often the automatic count moved during the run
  int pending = 0;    // a count one reading asked for; the next reading must agree before it is taken
  bool automatic() const { return requested <= 0; }
  // "2 (automatic: the free cores; other processes used 0.1 of 2 core(s) over the last 0.2 s)"
  // or "3 (THREADS)".
  std::string describe() const;
};

// The free cores rounded to the nearest whole core, at least 1 and at most the cores of the
// process's affinity mask.
int threadsForFreeCores(const CpuLoad &load);

ThreadPolicy chooseThreadPolicy(int requested, const CpuLoad &load);

// Under the automatic policy, moves `policy` to the cores `load` leaves free once two readings in a
// row agree on the new count (a load near half a core would otherwise flip it every reading);
// returns true when the count changed (the caller sets LibTorch's count). A fixed THREADS is left
// alone.
bool adaptToLoad(ThreadPolicy &policy, const CpuLoad &load);

// At a progress report: when the last reading is at least `interval` old, reads the load since
// then and, if the free cores changed, sets LibTorch's thread count and says so. Never waits.
void followFreeCores(ThreadPolicy &policy, const std::function<void(const std::string &)> &say,
                     std::chrono::milliseconds interval = std::chrono::seconds(1));

}  // namespace musecl
