// The thread policy (thread_policy.h) and the CPU-load reading under it (cpu_load.h): arithmetic on
// known counter readings, real /proc readings with a child process as the competitor, and the
// thread count LibTorch actually has inside each stage of a real training run.
#include "learning_test_support.h"
#include "toy_city.h"
#include "musecl/learn/train/cpu_load.h"
#include "musecl/learn/train/thread_policy.h"
#include "musecl/learn/training.h"

#include <ATen/Parallel.h>
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <thread>

using namespace musecl;
using namespace musecl::test_support;

namespace {

CpuTimes reading(std::uint64_t busy, std::uint64_t total, std::uint64_t self, int cpus, double atSeconds) {
  CpuTimes t;
  t.busy = busy;
  t.total = total;
  t.self = self;
  t.cpus = cpus;
  t.at = std::chrono::steady_clock::time_point(std::chrono::milliseconds(static_cast<long long>(atSeconds * 1000)));
  t.valid = true;
  return t;
}

CpuLoad loadOf(double others, int cores) {
  CpuLoad l;
  l.cores = l.machineCores = cores;
  l.others = others;
  l.measured = true;
  return l;
}

// A CPU-bound child process, killed when the guard goes.
struct SpinningChild {
  pid_t pid = -1;
  SpinningChild() {
    const pid_t parent = ::getpid();
    pid = ::fork();
    if (pid == 0) {
      // Never outlive the test, even one killed by its time limit: die with the parent, and after
      // a minute in any case.
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(0);
      ::alarm(60);
      for (volatile unsigned long spin = 0;; spin = spin + 1) {}
    }
  }
  ~SpinningChild() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }
};

}  // namespace

TEST(CpuLoad, OthersAreTheMachinesBusyTicksLessThisProcesssOwn) {
  // 2 CPUs over 1 s = 200 ticks; 150 busy, 40 of them this process's: others used 110 ticks, 1.1 cores.
  const CpuLoad load = loadBetween(reading(1000, 5000, 300, 2, 0.0), reading(1150, 5200, 340, 2, 1.0));
  ASSERT_TRUE(load.measured);
  EXPECT_NEAR(load.others, 1.1, 1e-12);
  EXPECT_NEAR(load.seconds, 1.0, 1e-12);
  EXPECT_EQ(load.machineCores, 2);
  // This process's ticks may be counted a tick later than the machine's: never a negative load.
  EXPECT_EQ(loadBetween(reading(1000, 5000, 300, 2, 0.0), reading(1010, 5200, 340, 2, 1.0)).others, 0.0);
  // Unreadable or out-of-order readings measure nothing.
  EXPECT_FALSE(loadBetween(CpuTimes{}, reading(1150, 5200, 340, 2, 1.0)).measured);
  EXPECT_FALSE(loadBetween(reading(1150, 5200, 340, 2, 1.0), reading(1150, 5200, 340, 2, 2.0)).measured);
}

TEST(CpuLoad, FreeCoresStayWithinTheAffinityMask) {
  CpuLoad l = loadOf(1.0, 2);
  EXPECT_DOUBLE_EQ(l.free(), 1.0);
  l.others = 3.5;
  EXPECT_DOUBLE_EQ(l.free(), 0.0) << "never negative";
  l = loadOf(0.5, 16);
  l.cores = 4;  // taskset: 4 of 16 CPUs are ours
  EXPECT_DOUBLE_EQ(l.free(), 4.0);
}

TEST(CpuLoad, ASpinningChildProcessIsCountedAsAnothersAndThisProcesssOwnTimeIsRead) {
  // Real /proc readings. Thresholds leave room for other tests running beside this one (ctest -j):
  // the child gets at least a third of a core whatever else runs on 2 cores.
  const CpuTimes before = readCpuTimes();
  ASSERT_TRUE(before.valid) << "/proc/stat or /proc/self/stat could not be read";
  {
    SpinningChild child;
    ASSERT_GT(child.pid, 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(800));
    const CpuLoad load = loadBetween(before, readCpuTimes());
    ASSERT_TRUE(load.measured);
    EXPECT_GE(load.others, 0.3) << describeCpuLoad(load);
  }
  // This process's own time, which loadBetween subtracts from the machine's: a thread of ours that
  // spins must show in it (within 10 s however busy the machine is).
  const CpuTimes start = readCpuTimes();
  const auto ticks = static_cast<std::uint64_t>(0.25 * static_cast<double>(sysconf(_SC_CLK_TCK)));
  std::atomic<bool> stop{false};
  std::thread spinner([&stop] {
    while (!stop.load(std::memory_order_relaxed)) {}
  });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  CpuTimes now = readCpuTimes();
  while (now.self - start.self < ticks && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    now = readCpuTimes();
  }
  stop = true;
  spinner.join();
  EXPECT_GE(now.self - start.self, ticks) << "a spinning thread of this process shows in its own CPU time";
}

TEST(ThreadPolicy, AutomaticTakesTheFreeCoresRoundedAndAtLeastOne) {
  EXPECT_EQ(threadsForFreeCores(loadOf(0.0, 2)), 2);
  EXPECT_EQ(threadsForFreeCores(loadOf(0.3, 2)), 2) << "a browser's tenth of a core leaves both";
  EXPECT_EQ(threadsForFreeCores(loadOf(1.0, 2)), 1) << "one CPU-bound process takes one core";
  EXPECT_EQ(threadsForFreeCores(loadOf(4.0, 2)), 1) << "at least one thread";
  EXPECT_EQ(threadsForFreeCores(loadOf(3.4, 16)), 13);
  const ThreadPolicy idle = chooseThreadPolicy(0, loadOf(0.0, 2));
  EXPECT_TRUE(idle.automatic());
  EXPECT_EQ(idle.threads, 2);
  EXPECT_EQ(
      idle.describe().rfind("2 (automatic: the free cores; other processes used 0.0 of 2 core(s) over the last ", 0),
      0u)
      << idle.describe();
}

TEST(ThreadPolicy, AutomaticFollowsTheLoadAndAFixedCountDoesNot) {
  ThreadPolicy p = chooseThreadPolicy(0, loadOf(0.0, 2));
  EXPECT_FALSE(adaptToLoad(p, loadOf(0.2, 2))) << "still 2 free cores, rounded";
  EXPECT_FALSE(adaptToLoad(p, loadOf(1.0, 2))) << "one reading is not enough";
  EXPECT_FALSE(adaptToLoad(p, loadOf(0.4, 2))) << "the next disagrees: nothing moves";
  EXPECT_FALSE(adaptToLoad(p, loadOf(1.0, 2)));
  EXPECT_TRUE(adaptToLoad(p, loadOf(1.1, 2))) << "two agreeing readings move the count";
  EXPECT_EQ(p.threads, 1);
  CpuLoad unmeasured = loadOf(0.0, 2);
  unmeasured.measured = false;
  EXPECT_FALSE(adaptToLoad(p, unmeasured)) << "no reading, no change";
  EXPECT_FALSE(adaptToLoad(p, loadOf(0.0, 2)));
  EXPECT_TRUE(adaptToLoad(p, loadOf(0.1, 2)));
  EXPECT_EQ(p.threads, 2);
  EXPECT_EQ(p.changes, 2);

  ThreadPolicy fixed = chooseThreadPolicy(3, loadOf(1.9, 2));
  EXPECT_FALSE(fixed.automatic());
  EXPECT_EQ(fixed.threads, 3);
  EXPECT_EQ(fixed.describe(), "3 (THREADS)");
  EXPECT_FALSE(adaptToLoad(fixed, loadOf(0.0, 2)));
  EXPECT_EQ(fixed.threads, 3);
}

namespace {
// The LibTorch thread counts a training run had at its progress reports, per stage (the callback
// runs on the training thread inside each stage).
std::map<std::string, std::set<int>> threadsPerStage(const TrainingOptions &o, std::vector<std::string> &lines) {
  std::map<std::string, std::set<int>> seen;
  const std::string model = tempPath("threads_" + std::to_string(o.threads) + ".musecl");
  trainMuseCL(
      toyCity(12), o, toyLoader,
      [&seen](const TrainingProgress &p) {
        seen[p.stage].insert(at::get_num_threads());
        return true;
      },
      [&lines](const std::string &line) { lines.push_back(line); }, model);
  std::remove(model.c_str());
  return seen;
}

// Every stage of the toy city's training reported, each with `threads` LibTorch threads only.
void expectEveryStageRan(const std::map<std::string, std::set<int>> &seen, int threads) {
  for (const char *stage : {"remote sensing", "street view", "skip-gram", "mobility", "fusion"}) {
    ASSERT_TRUE(seen.count(stage)) << stage;
    EXPECT_EQ(seen.at(stage), std::set<int>{threads}) << stage;
  }
}
}  // namespace

TEST(ThreadPolicy, AFixedThreadsHoldsInEveryStage) {
  TrainingOptions o = tinyOptions();
  o.threads = 2;
  std::vector<std::string> lines;
  const auto seen = threadsPerStage(o, lines);
  expectEveryStageRan(seen, 2);
  ASSERT_FALSE(lines.empty());
  EXPECT_NE(lines.front().find("; threads: 2 (THREADS); "), std::string::npos) << lines.front();
}

TEST(ThreadPolicy, BesideACpuBoundProcessPerCoreTheRunTakesOneThread) {
  // One spinning child per core leaves no core free whatever else runs beside this test, so the
  // automatic count is 1 from the start, in every stage.
  std::vector<std::unique_ptr<SpinningChild>> children;
  for (unsigned c = 0; c < std::max(1u, std::thread::hardware_concurrency()); ++c)
    children.push_back(std::make_unique<SpinningChild>());
  cpuLoadIfDue(std::chrono::milliseconds(0));  // the run's first reading covers the children's time only
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  TrainingOptions o = tinyOptions();
  o.threads = 0;
  std::vector<std::string> lines;
  const auto seen = threadsPerStage(o, lines);
  children.clear();
  expectEveryStageRan(seen, 1);
  ASSERT_FALSE(lines.empty());
  EXPECT_NE(lines.front().find("; threads: 1 (automatic: the free cores; other processes used "), std::string::npos)
      << lines.front();
}

TEST(ThreadPolicy, CoresTakenDuringARunMoveItToOneThreadAfterTwoReadingsAndItSaysSo) {
  // At the first report every core gets a CPU-bound process; the callback then waits over a
  // reading interval twice, so two readings see them. From the third report on the run has one
  // thread, and says why if it had more.
  std::vector<std::unique_ptr<SpinningChild>> children;
  std::vector<int> counts;
  TrainingOptions o = tinyOptions();
  o.threads = 0;
  std::vector<std::string> lines;
  const std::string model = tempPath("threads_moving.musecl");
  trainMuseCL(
      toyCity(12), o, toyLoader,
      [&](const TrainingProgress &) {
        counts.push_back(at::get_num_threads());
        if (children.empty()) {
          for (unsigned c = 0; c < std::max(1u, std::thread::hardware_concurrency()); ++c)
            children.push_back(std::make_unique<SpinningChild>());
          cpuLoadIfDue(std::chrono::milliseconds(0));  // the next reading covers the children's time only
        }
        // Two readings must agree: wait over one interval at each of the first two reports.
        if (counts.size() <= 2) std::this_thread::sleep_for(std::chrono::milliseconds(1200));
        return true;
      },
      [&lines](const std::string &line) { lines.push_back(line); }, model);
  children.clear();
  std::remove(model.c_str());
  ASSERT_GT(counts.size(), 3u);
  for (std::size_t k = 2; k < counts.size(); ++k) EXPECT_EQ(counts[k], 1) << "report " << k;
  if (counts.front() > 1) {
    EXPECT_TRUE(mentions(lines, "; continuing on 1 thread(s)")) << "the move is logged";
  }
}
