// Data-parallel training over c10d Gloo on loopback: real processes (this executable re-run as a
// rank), real rendezvous (TCPStore and FileStore), real training steps on the toy city.
//
// Tolerances: two ranks sum their gradients in another order than one process does, so float32
// results differ in the last bits, and Adam divides each gradient by its own running magnitude,
// which turns a difference in a gradient that is nearly zero into a visible step. The image
// encoder's parameters must agree within half of one Adam step (learning rate 1e-3): a rank that
// computed a wrong share would move many parameters by whole steps. Measured: 8e-5 at most. The
// projection's bias is left out: a triplet loss on distances does not depend on it (it cancels in
// a - p and a - n), so its gradient is rounding noise on either side and Adam steps it at random.
// The image stage's epoch losses agree within 1e-5 relative; gradient sums are checked exactly on
// integers.
#include "musecl/learn/train/data_parallel.h"
#include "musecl/learn/train/model_file.h"
#include "musecl/learn/training.h"
#include "loopback_processes.h"
#include "toy_city.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

using namespace musecl;
namespace fs = std::filesystem;

namespace {

constexpr double kParameterTolerance = 5e-4;

// The job every rank (and the single process it is compared with) trains: image triplets on the
// light encoder in passes of one triplet, so batch-norm sees the same images on one or two ranks.
TrainingOptions jobOptions() {
  TrainingOptions o;
  o.embeddingSize = 8;
  o.imageEpochs = 2;
  o.fusionEpochs = 4;
  o.batchSize = 8;
  o.imagesPerPass = 3;
  o.learningRate = 1e-3;
  o.chipSize = 32;
  o.remoteSensingBackbone = "light";
  o.wordDimension = 8;
  o.wordEpochs = 2;
  o.threads = 1;
  o.seed = 11;
  return o;
}

RegionTable jobCity() { return toyCity(24, true, false, true, false); }

// Writes the embeddings (raw float32) next to the model, so the parent can compare ranks.
void writeValues(const std::string &path, const std::vector<float> &values) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char *>(values.data()), static_cast<std::streamsize>(values.size() * sizeof(float)));
}

std::vector<float> readValues(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<float> v((fs::file_size(path)) / sizeof(float));
  in.read(reinterpret_cast<char *>(v.data()), static_cast<std::streamsize>(v.size() * sizeof(float)));
  return v;
}

// The collectives on exact integers: gradients summed over two buckets (one parameter of 28 MB
// passes the 25 MiB bucket size), a missing gradient counted as zero, buffers averaged, rank 0's
// tensors broadcast, a scalar summed. Exit 0 when every value is as expected.
int collectivesMain(int rank, int world, const std::string &rendezvous, int timeout, const std::string &outDir) {
  DistributedOptions o;
  o.worldSize = world;
  o.rank = rank;
  o.rendezvous = rendezvous;
  o.timeoutSeconds = timeout;
  try {
    const train::DataParallel dp(o, torch::kCPU);
    const float r = static_cast<float>(rank + 1);
    torch::Tensor small = torch::zeros({3}, torch::requires_grad()),
                  big = torch::zeros({7000000}, torch::requires_grad()),
                  none = torch::zeros({2}, torch::requires_grad());
    small.mutable_grad() = torch::arange(3, torch::kFloat32) * r;
    big.mutable_grad() = torch::full({7000000}, r);
    dp.sumGradients({small, big, none}, "test");
    const float total = world * (world + 1) / 2.0f;  // 1 + 2 + ... + world
    bool ok = small.grad().equal(torch::arange(3, torch::kFloat32) * total) &&
              big.grad().equal(torch::full({7000000}, total)) && none.grad().equal(torch::zeros({2}));
    torch::Tensor buffer = torch::full({4}, r);
    dp.averageTensors({buffer}, "test");
    ok = ok && buffer.equal(torch::full({4}, total / world));
    torch::Tensor a = torch::full({2}, r), b = torch::full({3}, static_cast<int64_t>(rank), torch::kLong);
    dp.broadcast({a, b}, "test");
    ok = ok && a.equal(torch::full({2}, 1.0f)) && b.equal(torch::zeros({3}, torch::kLong));
    ok = ok && dp.sum(r, "test") == total;
    if (!ok) std::ofstream(outDir + "/rank" + std::to_string(rank) + ".err") << "a collective gave a wrong value";
    return ok ? 0 : 1;
  } catch (const std::exception &e) {
    std::ofstream(outDir + "/rank" + std::to_string(rank) + ".err") << e.what();
    return 1;
  }
}

// A rank: argv = --rank RANK WORLD RENDEZVOUS TIMEOUT OUTDIR MODE. Exit 0 after training, 1 with the
// error text in OUTDIR/rank<R>.err. MODE: "train"; "die" (rank 1 exits abruptly in its second
// image batch); "other-seed" (rank 1 is given another seed); "other-attributes" (rank 1's regions carry a
// field rank 0's do not); "zero-poi-counts" (rank 1's POIs keep their words but lost their counts,
// which switch the chips' triplets); "region-without-trips" (flows too; rank 1's region 3 has no
// trips in or out); "bad-image" (rank 1 cannot read one chip); "bad-photo" (street view, pretrained
// on every rank; rank 1 cannot read one photo).
int rankMain(int argc, char **argv) {
  if (argc < 8) return 2;
  const int rank = std::atoi(argv[2]);
  const std::string outDir = argv[6], mode = argv[7];
  if (mode == "collectives") return collectivesMain(rank, std::atoi(argv[3]), argv[4], std::atoi(argv[5]), outDir);
  TrainingOptions o = jobOptions();
  o.distributed.worldSize = std::atoi(argv[3]);
  o.distributed.rank = rank;
  o.distributed.rendezvous = argv[4];
  o.distributed.timeoutSeconds = std::atoi(argv[5]);
  if (mode == "other-seed" && rank == 1) o.seed += 1;
  // "bad-image": rank 1 cannot decode region 5's chip (its copy of the data is damaged).
  const ImageLoader loader = [&](const std::string &path, int size, std::vector<std::uint8_t> &chw) {
    if (mode == "bad-image" && rank == 1 && path.rfind("toy://5/", 0) == 0) return false;
    if (mode == "bad-photo" && rank == 1 && path == "toy://5/sv1") return false;
    return toyLoader(path, size, chw);
  };
  const ProgressCallback progress = [&](const TrainingProgress &p) {
    if (mode == "die" && rank == 1 && p.stage == "remote sensing" && p.batch == 2)
      _exit(9);  // as a killed process: no cleanup
    return true;
  };
  try {
    RegionTable table = mode == "region-without-trips" ? toyCity(24, true, false, true, true)
                        : mode == "bad-photo"          ? toyCity(24, false, true, true, false)
                                                       : jobCity();
    if (mode == "bad-photo") {
      o.streetViewBackbone = "light";
      o.streetViewSize = 32;
      o.streetViewPretrainSteps = 3;
    }
    if (mode == "region-without-trips" && rank == 1) table.mobility.inflow[3] = table.mobility.outflow[3] = 0;
    if (mode == "other-attributes" && rank == 1) {
      table.attributes.names = {"census"};
      for (std::size_t r = 0; r < table.size(); ++r) table.attributes.values.push_back({static_cast<double>(r)});
    }
    if (mode == "zero-poi-counts" && rank == 1)
      for (auto &row : table.poi.counts) std::fill(row.begin(), row.end(), 0.0);
    const TrainingResult r = trainMuseCL(table, o, loader, progress, {}, outDir + "/model.musecl");
    writeValues(outDir + "/rank" + std::to_string(rank) + ".emb", r.embeddings.values);
    std::vector<float> losses;
    for (const EpochLog &e : r.log) losses.push_back(static_cast<float>(e.loss));
    writeValues(outDir + "/rank" + std::to_string(rank) + ".loss", losses);
    std::ofstream(outDir + "/rank" + std::to_string(rank) + ".log") << [&] {
      std::string all;
      for (const std::string &d : r.decisions) all += d + "\n";
      return all;
    }();
    return 0;
  } catch (const std::exception &e) {
    std::ofstream(outDir + "/rank" + std::to_string(rank) + ".err") << e.what();
    return 1;
  }
}

// A rank of a job: this executable again, in rankMain.
struct RankProcess {
  pid_t pid = -1;
};

RankProcess spawnRank(int rank, int world, const std::string &rendezvous, int timeout, const std::string &outDir,
                      const std::string &mode) {
  return {musecl::loopback::spawnSelf(
      {"--rank", std::to_string(rank), std::to_string(world), rendezvous, std::to_string(timeout), outDir, mode})};
}

// Exit status, or -1 after `limit` (the process is then killed).
int waitRank(RankProcess &p, std::chrono::seconds limit) { return musecl::loopback::waitExit(p.pid, limit); }

// Ranks 0 and 1 meeting through a FileStore in `job`; their exit statuses (-1: past its limit).
std::pair<int, int> runTwoRanks(const std::string &job, const std::string &mode, int timeout,
                                std::chrono::seconds limit0, std::chrono::seconds limit1) {
  RankProcess r0 = spawnRank(0, 2, "file://" + job + "/rendezvous", timeout, job, mode);
  RankProcess r1 = spawnRank(1, 2, "file://" + job + "/rendezvous", timeout, job, mode);
  const int first = waitRank(r0, limit0);
  return {first, waitRank(r1, limit1)};
}

std::string readText(const std::string &path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string tempDir(const std::string &name) {
  const fs::path d = fs::temp_directory_path() / ("musecl_dist_" + std::to_string(::getpid()) + "_" + name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d.string();
}

std::map<std::string, torch::Tensor> encoderParameters(const std::string &modelPath) {
  std::map<std::string, torch::Tensor> out;
  train::ModelParts parts = train::readModel(modelPath);
  for (const auto &item : train::imageEncoder(parts, View::RemoteSensing)->named_parameters())
    out[item.key()] = item.value().detach().clone();
  return out;
}

}  // namespace

TEST(DistributedOptions, ComeFromParametersOrTheLaunchersEnvironment) {
  std::map<std::string, std::string> env{
      {"WORLD_SIZE", "4"}, {"RANK", "2"}, {"MASTER_ADDR", "10.0.0.5"}, {"MASTER_PORT", "29500"}};
  auto getenv = [&](const char *name) -> const char * {
    const auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  DistributedOptions unset;
  unset.worldSize = 0;
  unset.rank = -1;
  const DistributedOptions fromEnv = resolveDistributed(unset, getenv);
  EXPECT_EQ(fromEnv.worldSize, 4);
  EXPECT_EQ(fromEnv.rank, 2);
  EXPECT_EQ(fromEnv.rendezvous, "tcp://10.0.0.5:29500");
  EXPECT_EQ(describeDistributed(fromEnv), "rank 2 of 4 (tcp://10.0.0.5:29500, timeout 300 s)");
  // Parameters win over the environment.
  DistributedOptions given = unset;
  given.worldSize = 2;
  given.rank = 1;
  given.rendezvous = "file:///shared/job.rdv";
  const DistributedOptions fromParams = resolveDistributed(given, getenv);
  EXPECT_EQ(fromParams.worldSize, 2);
  EXPECT_EQ(fromParams.rank, 1);
  EXPECT_EQ(parseRendezvous(fromParams.rendezvous).path, "/shared/job.rdv");
  // Nothing set anywhere: one process.
  const DistributedOptions alone = resolveDistributed(unset, [](const char *) -> const char * { return nullptr; });
  EXPECT_EQ(alone.worldSize, 1);
  EXPECT_FALSE(alone.active());
}

TEST(DistributedOptions, BadValuesAreRefusedQuotingThem) {
  auto none = [](const char *) -> const char * { return nullptr; };
  auto message = [&](DistributedOptions o, const std::function<const char *(const char *)> &env) {
    try {
      resolveDistributed(o, env);
    } catch (const std::invalid_argument &e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  DistributedOptions o;
  o.worldSize = 2;
  o.rank = 2;
  o.rendezvous = "tcp://127.0.0.1:29500";
  EXPECT_NE(message(o, none).find("rank 2 is outside a world of 2"), std::string::npos);
  o.rank = 0;
  o.rendezvous = "tcp://127.0.0.1:http";
  EXPECT_NE(message(o, none).find("port 'http'"), std::string::npos);
  o.rendezvous = "udp://127.0.0.1:1";
  EXPECT_NE(message(o, none).find("'udp://127.0.0.1:1' is neither"), std::string::npos);
  o.rendezvous = "file://relative/path";
  EXPECT_NE(message(o, none).find("absolute path"), std::string::npos);
  o.rendezvous.clear();
  EXPECT_NE(message(o, none).find("MASTER_ADDR and MASTER_PORT"), std::string::npos);
  DistributedOptions fromEnv;
  fromEnv.worldSize = 0;
  fromEnv.rank = -1;
  EXPECT_NE(
      message(fromEnv, [](const char *n) -> const char * { return std::string(n) == "WORLD_SIZE" ? "two" : nullptr; })
          .find("WORLD_SIZE='two'"),
      std::string::npos);
  EXPECT_NE(
      message(fromEnv, [](const char *n) -> const char * { return std::string(n) == "WORLD_SIZE" ? "3" : nullptr; })
          .find("no rank is given"),
      std::string::npos);
}

TEST(DataParallel, ShardsCoverABatchOnceWithSizesDifferingByAtMostOne) {
  for (const int world : {1, 2, 3, 8})
    for (const std::size_t n : {0, 1, 5, 8, 32, 33}) {
      std::size_t next = 100, smallest = n, largest = 0;
      for (int rank = 0; rank < world; ++rank) {
        const auto [first, last] = train::shardOf(100, 100 + n, rank, world);
        EXPECT_EQ(first, next) << "world " << world << ", rank " << rank << ", " << n << " items";
        next = last;
        smallest = std::min(smallest, last - first);
        largest = std::max(largest, last - first);
      }
      EXPECT_EQ(next, 100 + n);
      EXPECT_LE(largest - smallest, 1u);
    }
  // One process: the whole range.
  const train::DataParallel alone;
  EXPECT_EQ(alone.shard(8, 18), std::make_pair(std::size_t(8), std::size_t(18)));
  EXPECT_EQ(alone.worldSize(), 1);
  EXPECT_FALSE(alone.active());
}

TEST(DataParallel, ThreeRanksSumGradientsInBucketsAverageBroadcastAndSumExactly) {
  if (!distributedAvailable()) GTEST_SKIP() << "this build has no c10d Gloo backend";
  const std::string job = tempDir("collectives");
  const std::string rendezvous = "tcp://127.0.0.1:" + std::to_string(musecl::loopback::freeLoopbackPort());
  std::vector<RankProcess> ranks;
  for (int r = 0; r < 3; ++r) ranks.push_back(spawnRank(r, 3, rendezvous, 60, job, "collectives"));
  for (int r = 0; r < 3; ++r)
    EXPECT_EQ(waitRank(ranks[static_cast<std::size_t>(r)], std::chrono::seconds(120)), 0)
        << readText(job + "/rank" + std::to_string(r) + ".err");
  fs::remove_all(job);
}

TEST(DataParallel, TwoRanksOnLoopbackTrainTheParametersOfOneProcessOnTheCombinedBatch) {
  if (!distributedAvailable()) GTEST_SKIP() << "this build has no c10d Gloo backend";
  // One process, the whole batches.
  const std::string single = tempDir("single");
  TrainingOptions o = jobOptions();
  const TrainingResult alone = trainMuseCL(jobCity(), o, toyLoader, {}, {}, single + "/model.musecl");
  // Two ranks meeting through a FileStore, each encoding half of every batch.
  const std::string job = tempDir("job");
  const auto [exit0, exit1] = runTwoRanks(job, "train", 60, std::chrono::seconds(180), std::chrono::seconds(60));
  ASSERT_EQ(exit0, 0) << readText(job + "/rank0.err");
  ASSERT_EQ(exit1, 0) << readText(job + "/rank1.err");
  EXPECT_NE(readText(job + "/rank1.log").find("data-parallel: rank 1 of 2"), std::string::npos);
  ASSERT_TRUE(fs::exists(job + "/model.musecl"));  // written by rank 0 only: one file, no temporary left
  EXPECT_EQ(std::distance(fs::directory_iterator(job), fs::directory_iterator()),
            7);  // model, 2 x (.emb, .loss, .log); the FileStore is gone

  const auto expected = encoderParameters(single + "/model.musecl"), actual = encoderParameters(job + "/model.musecl");
  ASSERT_EQ(expected.size(), actual.size());
  double worst = 0, moved = 0;
  for (const auto &[name, value] : expected) {
    if (name == "projection.bias") continue;
    worst = std::max(worst, (value - actual.at(name)).abs().max().item<double>());
    moved = std::max(moved, value.abs().max().item<double>());
  }
  EXPECT_LE(worst, kParameterTolerance) << "largest parameter difference between 2 ranks and 1 process";
  EXPECT_GT(moved, 0.01);  // the comparison is not between zeros
  const std::vector<float> losses = readValues(job + "/rank0.loss");
  ASSERT_EQ(losses.size(), alone.log.size());
  // Only the image stage: its batch-norm running statistics are each rank's own, averaged over the
  // ranks at each epoch's end, not one sequence of updates, so the images' embeddings (evaluated with
  // them) and the fusion trained on them differ a little, as they do with PyTorch's DDP.
  for (std::size_t i = 0; i < losses.size(); ++i) {
    if (alone.log[i].stage == "remote sensing") {
      EXPECT_NEAR(losses[i], alone.log[i].loss, 1e-5 * std::abs(alone.log[i].loss) + 1e-7)
          << alone.log[i].stage << " epoch " << alone.log[i].epoch;
    }
  }
  // Every rank ends with rank 0's embeddings, bit for bit.
  EXPECT_EQ(readValues(job + "/rank0.emb"), readValues(job + "/rank1.emb"));
  EXPECT_EQ(readValues(job + "/rank0.emb").size(), alone.embeddings.values.size());
  fs::remove_all(single);
  fs::remove_all(job);
}

TEST(DataParallel, AKilledRankMakesTheOtherStopWithAnErrorWithinTheTimeout) {
  if (!distributedAvailable()) GTEST_SKIP() << "this build has no c10d Gloo backend";
  const std::string job = tempDir("killed");
  const std::string rendezvous = "tcp://127.0.0.1:" + std::to_string(musecl::loopback::freeLoopbackPort());
  const int timeout = 30;
  RankProcess r0 = spawnRank(0, 2, rendezvous, timeout, job, "train");
  RankProcess r1 = spawnRank(1, 2, rendezvous, timeout, job, "die");
  EXPECT_EQ(waitRank(r1, std::chrono::seconds(120)), 9);
  const auto died = std::chrono::steady_clock::now();
  EXPECT_EQ(waitRank(r0, std::chrono::seconds(timeout + 30)), 1);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - died).count();
  EXPECT_LT(seconds, timeout) << "rank 0 noticed the dead rank after " << seconds << " s";
  const std::string error = readText(job + "/rank0.err");
  EXPECT_NE(error.find("distributed training, rank 0 of 2"), std::string::npos) << error;
  EXPECT_NE(error.find("remote sensing epoch 1"), std::string::npos) << error;
  EXPECT_FALSE(fs::exists(job + "/model.musecl"));
  fs::remove_all(job);
}

// Rank 1 fails (MODE); both ranks stop, rank 1 with its own reason, rank 0 naming rank 1 and where.
static void expectOneRankFailsAndTheOtherNamesIt(const std::string &mode, const std::string &reason,
                                                 const std::string &where) {
  const std::string job = tempDir("failed_" + mode);
  EXPECT_EQ(runTwoRanks(job, mode, 30, std::chrono::seconds(120), std::chrono::seconds(60)), std::make_pair(1, 1));
  const std::string mine = readText(job + "/rank1.err"), other = readText(job + "/rank0.err");
  EXPECT_NE(mine.find(reason), std::string::npos) << mine;
  EXPECT_NE(other.find("rank(s) 1 failed in " + where), std::string::npos) << other;
  EXPECT_FALSE(fs::exists(job + "/model.musecl"));
  fs::remove_all(job);
}

TEST(DataParallel, ARankThatFailsStopsEveryRankAndTheOthersNameIt) {
  if (!distributedAvailable()) GTEST_SKIP() << "this build has no c10d Gloo backend";
  expectOneRankFailsAndTheOtherNamesIt("bad-image", "cannot decode image 'toy://5/chip'",
                                       "remote sensing epoch 1 batch");
}

// Pretraining runs on every rank before any collective of its stage: a rank that fails there must
// still reach the others, not leave them waiting at the triplet stage's broadcast.
TEST(DataParallel, ARankThatFailsInPretrainingStopsEveryRankAndTheOthersNameIt) {
  if (!distributedAvailable()) GTEST_SKIP() << "this build has no c10d Gloo backend";
  expectOneRankFailsAndTheOtherNamesIt("bad-photo", "cannot decode image 'toy://5/sv1'", "street view pretraining");
}

TEST(DataParallel, ARankThatNeverArrivesStopsTheOthersAfterTheTimeout) {
  if (!distributedAvailable()) GTEST_SKIP() << "this build has no c10d Gloo backend";
  const std::string job = tempDir("alone");
  const int timeout = 3;
  const auto started = std::chrono::steady_clock::now();
  RankProcess r0 =
      spawnRank(0, 2, "tcp://127.0.0.1:" + std::to_string(musecl::loopback::freeLoopbackPort()), timeout, job, "train");
  EXPECT_EQ(waitRank(r0, std::chrono::seconds(60)), 1);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  EXPECT_GE(seconds, timeout);
  EXPECT_LT(seconds, timeout + 20);
  const std::string error = readText(job + "/rank0.err");
  EXPECT_NE(error.find("the rendezvous at tcp://127.0.0.1:"), std::string::npos) << error;
  EXPECT_NE(error.find("within 3 s"), std::string::npos) << error;
  fs::remove_all(job);
}

static void expectBothRanksStopWithOneMessage(const std::string &mode) {
  const std::string job = tempDir("mismatch");
  EXPECT_EQ(runTwoRanks(job, mode, 30, std::chrono::seconds(60), std::chrono::seconds(60)), std::make_pair(1, 1));
  for (const char *rank : {"rank0", "rank1"})
    EXPECT_NE(readText(job + "/" + rank + ".err")
                  .find("1 rank(s) of the job were given other regions or options than rank 0"),
              std::string::npos)
        << readText(job + "/" + rank + ".err");
  EXPECT_FALSE(fs::exists(job + "/model.musecl"));
  fs::remove_all(job);
}

TEST(DataParallel, RanksGivenDifferentOptionsAllStopWithOneMessage) {
  if (!distributedAvailable()) GTEST_SKIP() << "this build has no c10d Gloo backend";
  expectBothRanksStopWithOneMessage("other-seed");
}

// Every view counts its own inputs into the job's fingerprint: a view the check once left out
// (region attributes) let ranks with different inputs train on.
TEST(DataParallel, RanksGivenDifferentRegionAttributesAllStopWithOneMessage) {
  if (!distributedAvailable()) GTEST_SKIP() << "this build has no c10d Gloo backend";
  expectBothRanksStopWithOneMessage("other-attributes");
}

// The inputs' values can switch what a view does, not only their number: POI counts that are all 0
// make the chips' triplets geographic. Two ranks that differ in that switch would train one encoder
// on two kinds of triplets.
TEST(DataParallel, RanksWhoseCountsChooseOtherTripletsAllStopWithOneMessage) {
  if (!distributedAvailable()) GTEST_SKIP() << "this build has no c10d Gloo backend";
  expectBothRanksStopWithOneMessage("zero-poi-counts");
}

// The same for the flows: a region without trips is left out of the mobility view.
TEST(DataParallel, RanksThatDisagreeOnWhichRegionsHaveTripsAllStopWithOneMessage) {
  if (!distributedAvailable()) GTEST_SKIP() << "this build has no c10d Gloo backend";
  expectBothRanksStopWithOneMessage("region-without-trips");
}

int main(int argc, char **argv) {
  if (argc > 1 && std::string(argv[1]) == "--rank") return rankMain(argc, argv);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
