// Deterministic mutation test of the model-file reader: a real model file, damaged thousands of
// ways (bit flips, byte runs overwritten, truncations, appended junk, lengths in the zip
// directory changed), must each give a clean std::exception from readModelInfo and embedWithModel
// -- never a crash, a hang or a silently wrong model. Seeded: the same cases every run.
#include <gtest/gtest.h>

#include "expect_refused.h"
#include "test_bytes.h"

#include "musecl/learn/training.h"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

using namespace musecl;
using musecl::test_support::expectRefused;

namespace {

// A 9-region city with POIs and flows only (no images): the model holds the skip-gram words,
// the mobility encoder and the fusion, every part the reader restores.
RegionTable smallCity() {
  RegionTable t;
  const char *words[] = {"shop", "park", "school"};
  t.poi.categories = {"shop", "park", "school"};
  for (int i = 0; i < 9; ++i) {
    t.ids.push_back("r" + std::to_string(i));
    t.centroidX.push_back(100.0 * (i % 3));
    t.centroidY.push_back(100.0 * (i / 3));
    t.areaSquareMetres.push_back(10000.0);
    t.poi.counts.push_back({double(1 + i % 3), double(i % 2), 1.0});
    t.poi.words.push_back({words[i % 3], words[(i + 1) % 3], "cafe"});
    t.poi.categoryTokens.push_back({words[i % 3]});
    t.mobility.inflow.push_back(0);
    t.mobility.outflow.push_back(0);
    t.mobility.internal.push_back(0);
  }
  for (std::uint32_t i = 0; i < 9; ++i) {
    const std::uint32_t j = (i + 4) % 9;
    t.mobility.flows.push_back({i, j, 5.0 + i});
    t.mobility.outflow[i] += 5.0 + i;
    t.mobility.inflow[j] += 5.0 + i;
  }
  return t;
}

// A few epochs of each stage: the file's content matters here, not its quality.
TrainingOptions quickOptions() {
  TrainingOptions o;
  o.embeddingSize = 8;
  o.fusionEpochs = 2;
  o.wordDimension = 4;
  o.wordEpochs = 2;
  o.mobilityEpochs = 5;
  o.threads = 1;
  return o;
}

}  // namespace

TEST(ModelFileFuzz, EveryDamagedFileIsRefusedCleanly) {
  const RegionTable city = smallCity();
  const TrainingOptions o = quickOptions();
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("musecl_fuzz_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string good = (dir / "good.musecl").string(), bad = (dir / "bad.musecl").string();
  const TrainingResult trained = trainMuseCL(city, o, {}, {}, {}, good);
  const std::vector<char> original = readAllBytes(good);
  ASSERT_GT(original.size(), 1000u);
  ASSERT_NO_THROW(readModelInfo(good));

  std::mt19937_64 rng(20261130);
  const int cases = std::getenv("MUSECL_FUZZ_CASES") ? std::atoi(std::getenv("MUSECL_FUZZ_CASES")) : 2000;
  int refused = 0, readable = 0, identical = 0;
  for (int k = 0; k < cases; ++k) {
    std::vector<char> bytes = original;
    const std::size_t n = bytes.size();
    switch (k % 5) {
      case 0:  // a few bit flips anywhere
        for (int f = 0; f < 1 + static_cast<int>(rng() % 4); ++f)
          bytes[rng() % n] ^= static_cast<char>(1u << (rng() % 8));
        break;
      case 1:  // truncation
        bytes.resize(rng() % n);
        break;
      case 2:  // a run of random bytes
        for (std::size_t at = rng() % n, len = 1 + rng() % 64, e = std::min(n, at + len); at < e; ++at)
          bytes[at] = static_cast<char>(rng());
        break;
      case 3:  // junk appended
        for (int a = 0; a < 1 + static_cast<int>(rng() % 512); ++a) bytes.push_back(static_cast<char>(rng()));
        break;
      case 4:  // the tail (zip central directory: sizes, offsets, names) damaged
        for (int f = 0; f < 1 + static_cast<int>(rng() % 3); ++f)
          bytes[n - 1 - rng() % std::min<std::size_t>(n, 600)] = static_cast<char>(rng());
        break;
    }
    writeAllBytes(bad, bytes);
    try {
      readModelInfo(bad);
      const TrainingResult applied = embedWithModel(bad, city, {}, DeviceChoice::Cpu, 1, {}, {});
      ++readable;
      // A damaged file that still loads must give a finite embedding.
      for (float v : applied.embeddings.values)
        ASSERT_TRUE(std::isfinite(v)) << "case " << k << " loaded with a non-finite value";
      identical += applied.embeddings.values == trained.embeddings.values;
    } catch (const std::exception &) {
      ++refused;
    }
  }
  std::printf(
      "model-file fuzz: %d cases, %d refused with an exception, %d still loadable (%d of them identical to the original)\n",
      cases, refused, readable, identical);
  EXPECT_EQ(refused + readable, cases);
  EXPECT_GT(refused, cases / 2) << "most damage must be detected";
  // Damage that escapes the checksum may only touch bytes outside the archive (appended junk, the
  // trailer's marker): whatever loads must be the original model exactly.
  EXPECT_EQ(identical, readable) << "a damaged file loaded as a different model";
  std::filesystem::remove_all(dir);
}

TEST(ModelFileFuzz, OneFlippedBitIsNamedAsDamageAndOlderFilesWithoutChecksumStillLoad) {
  const RegionTable city = smallCity();
  const TrainingOptions o = quickOptions();
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("musecl_flip_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string good = (dir / "good.musecl").string(), bad = (dir / "bad.musecl").string();
  const TrainingResult trained = trainMuseCL(city, o, {}, {}, {}, good);
  std::vector<char> bytes = readAllBytes(good);
  ASSERT_EQ(std::string(bytes.end() - 8, bytes.end()), "MUSECLck") << "the file ends with the integrity marker";

  std::vector<char> flipped = bytes;
  flipped[flipped.size() / 2] ^= 0x10;
  writeAllBytes(bad, flipped);
  expectRefused<std::exception>([&] { readModelInfo(bad); }, {"is damaged: its checksum does not match", bad},
                                "a flipped bit was not detected");

  // A file from before the trailer (format 2 as 0.1.0 wrote it): the archive alone, read unchecked.
  writeAllBytes(bad, std::vector<char>(bytes.begin(), bytes.end() - 16));
  const TrainingResult legacy = embedWithModel(bad, city, {}, DeviceChoice::Cpu, 1, {}, {});
  EXPECT_EQ(legacy.embeddings.values, trained.embeddings.values);
  std::filesystem::remove_all(dir);
}
