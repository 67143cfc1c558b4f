// See cpu_load.h.
#include "musecl/learn/train/cpu_load.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#if defined(__linux__)
#include <sched.h>
#endif

namespace musecl {

double CpuLoad::free() const { return std::max(0.0, std::min(static_cast<double>(cores), machineCores - others)); }

namespace {

// A cgroup v2 CPU quota ("200000 100000" in cpu.max: 2 cores' worth; "max": none), rounded up.
int quotaCores() {
  std::ifstream in("/sys/fs/cgroup/cpu.max");
  std::string quota;
  double period = 0;
  if (!(in >> quota >> period) || quota == "max" || !(period > 0)) return 0;
  try {
    return std::max(1, static_cast<int>(std::ceil(std::stod(quota) / period)));
  } catch (const std::exception &) {
    return 0;
  }
}

// The cores this process may use: its affinity mask, capped by a container's CPU quota.
int usableCores() {
  int cores = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
#if defined(__linux__)
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) cores = std::max(1, CPU_COUNT(&set));
#endif
  const int quota = quotaCores();
  return quota > 0 ? std::min(cores, quota) : cores;
}

// /proc/stat: "cpu  user nice system idle iowait irq softirq steal guest guest_nice" for all CPUs,
// then one "cpuN ..." line per CPU. Guest time is already inside user and nice.
bool readMachine(CpuTimes &t) {
  std::ifstream in("/proc/stat");
  std::string line;
  if (!std::getline(in, line) || line.compare(0, 4, "cpu ") != 0) return false;
  std::istringstream fields(line.substr(4));
  std::uint64_t v[8] = {};
  for (std::uint64_t &x : v)
    if (!(fields >> x)) return false;
  const std::uint64_t idle = v[3] + v[4];
  t.total = v[0] + v[1] + v[2] + v[3] + v[4] + v[5] + v[6] + v[7];
  t.busy = t.total - idle;
  t.cpus = 0;
  while (std::getline(in, line) && line.compare(0, 3, "cpu") == 0) ++t.cpus;
  return t.cpus > 0;
}

// /proc/self/stat: the command name is in parentheses and may hold spaces, so fields are counted
// after the last ')': state is field 3, utime field 14 and stime field 15.
bool readSelf(CpuTimes &t) {
  std::ifstream in("/proc/self/stat");
  std::string line;
  if (!std::getline(in, line)) return false;
  const std::size_t close = line.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream fields(line.substr(close + 1));
  std::string skip;
  for (int field = 3; field < 14; ++field)
    if (!(fields >> skip)) return false;
  std::uint64_t user = 0, system = 0;
  if (!(fields >> user >> system)) return false;
  t.self = user + system;
  return true;
}

}  // namespace

CpuTimes readCpuTimes() {
  CpuTimes t;
  t.at = std::chrono::steady_clock::now();
  t.valid = readMachine(t) && readSelf(t);
  return t;
}

CpuLoad loadBetween(const CpuTimes &before, const CpuTimes &after) {
  CpuLoad load;
  load.cores = usableCores();
  load.machineCores = after.valid ? after.cpus : load.cores;
  load.seconds = std::chrono::duration<double>(after.at - before.at).count();
  // A CPU taken offline between the readings leaves the totals: such a window measures nothing.
  if (!before.valid || !after.valid || after.total <= before.total || after.busy < before.busy ||
      after.cpus != before.cpus)
    return load;
  // Ticks of all CPUs over the window; the machine's busy ticks less this process's are the others'.
  const double window = static_cast<double>(after.total - before.total);
  const double busy = static_cast<double>(after.busy - before.busy);
  const double self = after.self >= before.self ? static_cast<double>(after.self - before.self) : 0.0;
  load.others = std::max(0.0, (busy - self) / window * after.cpus);
  load.measured = true;
  return load;
}

namespace {
std::mutex lastReadingMutex;
CpuTimes lastReading;  // the process-wide last reading, shared by recentCpuLoad and cpuLoadIfDue

// The load since the last reading, which `now` then replaces. Call with lastReadingMutex held.
CpuLoad advanceTo(const CpuTimes &now) {
  const CpuLoad load = loadBetween(lastReading, now);
  lastReading = now;
  return load;
}
}  // namespace

std::optional<CpuLoad> cpuLoadIfDue(std::chrono::milliseconds interval) {
  std::lock_guard<std::mutex> lock(lastReadingMutex);
  // Timed before /proc is read, and from failed readings too: this is called at every report.
  if (std::chrono::steady_clock::now() - lastReading.at < interval) return std::nullopt;
  return advanceTo(readCpuTimes());  // unmeasured after a failed reading, which the policy ignores
}

CpuLoad recentCpuLoad(std::chrono::milliseconds minimum, std::chrono::milliseconds stale) {
  std::lock_guard<std::mutex> lock(lastReadingMutex);
  const CpuTimes now = readCpuTimes();
  const auto age = now.at - lastReading.at;
  if (!lastReading.valid || age < minimum || age > stale) {
    lastReading = now;
    std::this_thread::sleep_for(minimum);
    return advanceTo(readCpuTimes());
  }
  return advanceTo(now);
}

std::string describeCpuLoad(const CpuLoad &load) {
  if (!load.measured) return "load not measured (no /proc), " + std::to_string(load.cores) + " core(s) counted as free";
  char text[120];
  std::snprintf(text, sizeof(text), "other processes used %.1f of %d core(s) over the last %.1f s", load.others,
                load.machineCores, load.seconds);
  return text;
}

}  // namespace musecl
